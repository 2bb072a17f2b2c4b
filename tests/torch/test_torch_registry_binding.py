"""The torch copies of every distribution, bound to the family files (issue #20, item 3).

Registry-driven: every family of ``mlekit.families.FAMILIES`` and every pair of the torch
and NumPy KL registries is visited; nothing below is a hand-written list of what to test.
The hand-written declarations (``HAND_WRITTEN``, ``REFUSED``, ``NUMPY_ONLY_KL``) are the
*decisions* the tests hold the code to, so a new family or a new closed-form KL pair fails
the meta-tests until someone decides how torch treats it.

* **log-densities** — at 64 random valid parameter points per family (drawn around
  ``family.example_params`` in each domain's unconstrained coordinates: batches of 20 and
  3×4 broadcast layouts, data of the batch shape or with leading sample axes) and data
  drawn from the family, plus 30 points scored on data drawn from *another* member (off a
  parameter-dependent support the log-density must be −inf), the torch log-density equals
  ``family.logpdf`` to 1e-10 relative (float64), and its autograd gradient with respect to
  every estimable parameter equals ``family.score`` summed over the broadcast axes to 1e-8
  relative. Both torch paths are held this way: the hand-written closed forms of
  ``torch/_logprob.py`` and the SymPy → torch compilation of ``torch/_symbolic.py``;
* **KL** — every closed-form pair of ``torch/_kl.py`` equals the NumPy closed form
  (``mk.kl(..., method="closed form")``) at random parameter points to 1e-10 relative, and
  every NumPy closed-form pair without a torch counterpart raises the documented
  ``NotImplementedForFamily`` that points to ``mlekit.divergence.kl``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import mlekit as mk  # noqa: E402
import mlekit.divergence  # noqa: E402  (registers the cross-family KL closed forms)
import mlekit.torch as mkt  # noqa: E402
from mlekit.errors import NotImplementedForFamily, ParameterError  # noqa: E402
from mlekit.families import FAMILIES, KL_REGISTRY, Family  # noqa: E402

# ------------------------------------------------------------------ the decisions
#: families whose torch log-density is written by hand in torch/_logprob.py
HAND_WRITTEN = frozenset({
    "bernoulli", "beta", "binomial", "categorical", "cauchy", "exponential", "gamma",
    "geometric", "gumbel", "halfnormal", "laplace", "logistic", "lognormal",
    "negativebinomial", "normal", "ordinal", "poisson", "studentt", "uniform", "weibull",
})
#: families without one, served by the SymPy → torch compilation of torch/_symbolic.py
GENERATED = frozenset({"inversegaussian", "pareto", "rayleigh"})
#: families with neither, served by their own NumPy logpdf with the analytic score as its
#: gradient (torch/_bridge.py)
BRIDGED = frozenset({"tweedie"})
#: families torch refuses: {name: words of the NotImplementedForFamily it raises}
REFUSED = {
    "dirichlet": "scalar parameters only",
    "multivariatenormal": "scalar parameters only",
}
#: families the symbolic path refuses though torch serves them otherwise (a hand-written
#: form with a vector parameter; a bridged series density): {name: words of the error}
SYMBOLIC_REFUSED = {"categorical": "scalar parameters only",
                    "ordinal": "no closed symbolic density",
                    "tweedie": "no closed symbolic density"}
#: NumPy closed-form KL pairs with no torch closed form, as {q family: p families}:
#: torch.kl raises NotImplementedForFamily and names mlekit.divergence.kl instead
_CONTINUOUS_P = ("beta cauchy exponential gamma gumbel halfnormal inversegaussian laplace "
                 "logistic lognormal normal pareto rayleigh studentt uniform weibull").split()
NUMPY_ONLY_KL = {
    "normal": tuple(p for p in _CONTINUOUS_P if p != "normal"),
    "exponential": tuple(p for p in _CONTINUOUS_P if p != "exponential"),
    "uniform": tuple(_CONTINUOUS_P),
    "gamma": ("exponential",),
    "beta": ("uniform",),
    "laplace": ("normal",),
    "cauchy": ("cauchy",),
    "gumbel": ("gumbel",),
    "weibull": ("weibull",),
    "dirichlet": ("dirichlet",),
    "geometric": ("geometric",),
    "inversegaussian": ("inversegaussian",),
    "multivariatenormal": ("multivariatenormal",),
    "pareto": ("pareto",),
    "rayleigh": ("rayleigh",),
}

RTOL_LOGPDF, RTOL_SCORE, RTOL_KL = 1e-10, 1e-8, 1e-10
ALL = sorted(FAMILIES)
_NAME_OF = {type(f): n for n, f in FAMILIES.items()}


# ------------------------------------------------------------------ random members
def _draw_param(fam: Family, name: str, rng: np.random.Generator,
                batch: tuple[int, ...]) -> np.ndarray:
    """A random value of one parameter near its example value, with batch shape ``batch``.

    Moves the example value by N(0, 0.6²) in the domain's unconstrained coordinates
    (``to_unconstrained``/``from_unconstrained``); a domain without such a bijection
    (integers) draws its own examples.
    """
    par = fam.parameter(name)
    ex = np.asarray(fam.example_params[name], dtype=float)
    try:
        u = np.asarray(par.domain.to_unconstrained(ex), dtype=float)
    except NotImplementedError:
        return np.asarray(par.domain.example(rng, size=batch + ex.shape), dtype=float)
    return np.asarray(par.domain.from_unconstrained(u + rng.normal(0.0, 0.6, batch + u.shape)))


def _layouts(fam: Family) -> list[dict[str, tuple[int, ...]]]:
    """Batch shapes of each parameter: one batch of 20, and a broadcast layout (3×4 = 12)."""
    names = fam.param_names
    broadcast = {n: ((3, 1) if i % 2 == 0 else (4,)) for i, n in enumerate(names)}
    if len(names) == 1:
        broadcast = {names[0]: (3, 4)}
    return [{n: (20,) for n in names}, broadcast]


def _members(fam: Family, seed: int) -> list[tuple[dict[str, np.ndarray], np.ndarray]]:
    """[(params, x)]: random valid parameters (64 points in all) and data drawn from them."""
    rng = np.random.default_rng(seed)
    out = []
    for layout, size in zip(_layouts(fam) * 2, [None, 2, 3, None], strict=True):
        for _ in range(50):  # redraw the rare member that breaks a joint constraint
            params = {n: _draw_param(fam, n, rng, shape) for n, shape in layout.items()}
            try:
                dist = fam(**params)
            except ParameterError:
                continue
            break
        else:  # pragma: no cover - a domain draw that never satisfies the family
            raise AssertionError(f"{fam.title}: no valid random member in 50 draws")
        out.append((dist.params, np.asarray(dist.sample(size, rng=rng), dtype=float)))
    return out


def _random_params(fam: Family, rng: np.random.Generator, layout: Mapping[str, tuple[int, ...]],
               shared: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Random valid parameters with batch shapes ``layout``; ``shared`` fixes some of them
    (for KL the non-estimable ones: Binomial KL between different n is infinite)."""
    for _ in range(50):
        params = {n: (shared[n] if shared and n in shared else _draw_param(fam, n, rng, shape))
                  for n, shape in layout.items()}
        try:
            return fam(**params).params
        except ParameterError:
            continue
    raise AssertionError(f"{fam.title}: no valid random member in 50 draws")  # pragma: no cover


def _sum_to(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``a`` over the axes that broadcasting added to or stretched in ``shape``."""
    a = np.asarray(a)
    while a.ndim > len(shape):
        a = a.sum(axis=0)
    for i, s in enumerate(shape):
        if s == 1 and a.shape[i] != 1:
            a = a.sum(axis=i, keepdims=True)
    return a


def _assert_rel(got: np.ndarray, ref: np.ndarray, rtol: float, scale: np.ndarray | None = None,
                what: str = "") -> None:
    """|got − ref| ≤ rtol · scale elementwise; ``scale`` defaults to |ref| (floor 1e-300).

    For a sum over broadcast axes ``scale`` is the sum of the magnitudes of its terms,
    the honest size of a relative error of a sum.
    """
    got, ref = np.broadcast_arrays(np.asarray(got, float), np.asarray(ref, float))
    scale = np.abs(ref) if scale is None else np.broadcast_to(np.asarray(scale, float), ref.shape)
    assert np.all(np.isfinite(ref)), f"{what}: the NumPy reference is not finite"
    err = np.abs(got - ref)
    bad = ~(err <= rtol * np.maximum(scale, 1e-300))
    if bad.any():
        i = np.unravel_index(int(np.argmax(np.where(bad, err / np.maximum(scale, 1e-300), 0))),
                             ref.shape)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} values differ by more than {rtol:g} "
            f"relative; worst at {i}: torch {got[i]!r}, numpy {ref[i]!r}, "
            f"relative error {err[i] / max(scale[i], 1e-300):.3g}")


def _check_log_prob(fam: Family, method: str, seed: int) -> None:
    """torch log-density (``method``) = family.logpdf, autograd = family.score."""
    for params, x in _members(fam, seed):
        leaves = {n: torch.tensor(v, dtype=torch.float64, requires_grad=fam.parameter(n).estimable)
                  for n, v in params.items()}
        y = torch.as_tensor(x, dtype=torch.float64)
        lp = mkt.log_prob(fam, y, leaves, method=method)
        ref = fam.logpdf(x, **params)
        shapes = {n: v.shape for n, v in params.items()}
        what = f"{fam.name} [{method}] params {shapes}, x {x.shape}"
        assert tuple(lp.shape) == np.shape(ref), what
        _assert_rel(lp.detach().numpy(), ref, RTOL_LOGPDF, what=f"log-density of {what}")
        estimable = fam.estimable_names
        grads = torch.autograd.grad(lp.sum(), [leaves[n] for n in estimable])
        score = fam.score(x, **params)
        for n, g in zip(estimable, grads, strict=True):
            s = np.asarray(score[n], float)
            _assert_rel(g.numpy(), _sum_to(s, params[n].shape), RTOL_SCORE,
                        scale=_sum_to(np.abs(s), params[n].shape),
                        what=f"d log p / d {n} of {what}")


def _check_crossed(fam: Family, method: str, seed: int) -> None:
    """Data from one random member scored under another (as in training, where the
    parameters move and the data do not): where the support moves with the parameters
    (Pareto x ≥ scale, Uniform, Binomial x ≤ n) some points fall off it. torch must give
    −inf exactly where ``family.logpdf`` does, agree elsewhere (value and score), and keep
    its gradients finite (a −inf row must not put NaN into a training step)."""
    rng = np.random.default_rng(seed)
    layout = {n: (30,) for n in fam.param_names}
    params = _random_params(fam, rng, layout)
    x = np.asarray(fam(**_random_params(fam, rng, layout)).sample(None, rng=rng), dtype=float)
    leaves = {n: torch.tensor(v, dtype=torch.float64, requires_grad=fam.parameter(n).estimable)
              for n, v in params.items()}
    lp = mkt.log_prob(fam, torch.as_tensor(x), leaves, method=method)
    ref = fam.logpdf(x, **params)
    what = f"{fam.name} [{method}], data from another member"
    off = np.isneginf(ref)
    got = lp.detach().numpy()
    assert np.array_equal(np.isneginf(got), off), (
        f"{what}: torch is -inf at {np.flatnonzero(np.isneginf(got)).tolist()}, the family at "
        f"{np.flatnonzero(off).tolist()} (torch there: {got[off & ~np.isneginf(got)]})")
    _assert_rel(got[~off], ref[~off], RTOL_LOGPDF, what=f"log-density of {what}")
    estimable = fam.estimable_names
    grads = torch.autograd.grad(lp[torch.as_tensor(~off)].sum(), [leaves[n] for n in estimable],
                                retain_graph=True)
    score = fam.score(x[~off], **{n: v[~off] for n, v in params.items()})
    for n, g in zip(estimable, grads, strict=True):
        assert torch.isfinite(g).all(), f"{what}: d log p / d {n} is not finite"
        _assert_rel(g.numpy()[~off], score[n], RTOL_SCORE, what=f"d log p / d {n} of {what}")
    if off.any():  # the −inf rows themselves: a finite (zero) gradient, never NaN
        grads = torch.autograd.grad(lp[torch.as_tensor(off)].sum(), [leaves[n] for n in estimable],
                                    allow_unused=True)
        assert all(g is None or torch.isfinite(g).all() for g in grads), (
            f"{what}: NaN gradient from the rows off the support")


# ------------------------------------------------------------------ log-densities
def test_every_family_has_a_decision():
    """Meta-test: the families these tests cover are exactly the registry, each in one of
    HAND_WRITTEN, GENERATED, BRIDGED, REFUSED; a new family fails here until it is placed."""
    decided = [HAND_WRITTEN, GENERATED, BRIDGED, frozenset(REFUSED)]
    undecided = sorted(set(FAMILIES).difference(*decided))
    stale = sorted(frozenset().union(*decided) - set(FAMILIES))
    twice = sorted(n for n in FAMILIES if sum(n in d for d in decided) > 1)
    assert not undecided and not stale and not twice, (
        f"families with no torch decision (add each to HAND_WRITTEN, GENERATED, BRIDGED or "
        f"REFUSED): "
        f"{undecided}; declared but not registered: {stale}; declared twice: {twice}")


def test_hand_written_set_is_what_torch_uses():
    """A hand-written form that drifts from the family is silently skipped by
    ``closed_form_for`` (its example check); that must show up here, by name."""
    uses = {n for n, f in FAMILIES.items() if mkt.closed_form_for(f) is not None}
    assert uses == HAND_WRITTEN, (
        f"hand-written torch log-densities rejected or unused: {sorted(HAND_WRITTEN - uses)}; "
        f"used but not declared in HAND_WRITTEN: {sorted(uses - HAND_WRITTEN)}")


@pytest.mark.parametrize("name", sorted(HAND_WRITTEN & set(FAMILIES)))
def test_hand_written_log_prob_matches_family(name):
    _check_log_prob(FAMILIES[name], "closed form", seed=ALL.index(name))
    _check_crossed(FAMILIES[name], "closed form", seed=ALL.index(name))


@pytest.mark.parametrize("name", ALL)
def test_symbolic_log_prob_matches_family_or_is_refused_by_name(name):
    """The generic path: agreement for every scalar family, a named refusal for the rest.

    It serves GENERATED and is held to the same figures for HAND_WRITTEN (two torch copies
    of one density, both bound to the family's NumPy ``logpdf`` and ``score``).
    """
    fam = FAMILIES[name]
    refusal = REFUSED.get(name) or SYMBOLIC_REFUSED.get(name)
    if refusal is None:
        _check_log_prob(fam, "symbolic", seed=100 + ALL.index(name))
        _check_crossed(fam, "symbolic", seed=100 + ALL.index(name))
        return
    params = fam.example_params
    x = torch.as_tensor(np.asarray(fam(**params).sample(3, rng=0), float))
    tensors = {k: torch.as_tensor(np.asarray(v, float)) for k, v in params.items()}
    with pytest.raises(NotImplementedForFamily, match=refusal):
        mkt.log_prob(fam, x, tensors, method="symbolic")


#: families whose file writes its own score, with scalar parameters: the NumPy bridge serves
#: each of them (and is the path torch takes for BRIDGED)
_SCORED = sorted(n for n, f in FAMILIES.items() if type(f).score is not Family.score
                 and not any(f.parameter(p).event_ndim for p in f.param_names))


@pytest.mark.parametrize("name", _SCORED)
def test_numpy_bridge_matches_family(name):
    """``method="numpy"``: the family's logpdf as a torch function whose gradient is its
    score, held to the same figures (for a HAND_WRITTEN family, a second torch copy)."""
    _check_log_prob(FAMILIES[name], "numpy", seed=200 + ALL.index(name))
    _check_crossed(FAMILIES[name], "numpy", seed=200 + ALL.index(name))


@pytest.mark.parametrize("name", sorted(BRIDGED))
def test_bridged_family_is_what_torch_uses_and_its_gradient_is_numerical(name):
    """torch's default path for a BRIDGED family is the bridge, and its backward (the
    family's analytic score) passes ``torch.autograd.gradcheck`` against central
    differences of its forward (the NumPy logpdf) at random members."""
    fam = FAMILIES[name]
    fn, used = mkt.resolve_log_density(fam)
    assert used == "numpy"
    rng = np.random.default_rng(5)
    params = _random_params(fam, rng, {n: (6,) for n in fam.param_names})
    x = torch.as_tensor(np.asarray(fam(**params).sample(None, rng=rng), float))
    names = fam.param_names
    leaves = [torch.tensor(params[n], dtype=torch.float64, requires_grad=True) for n in names]

    def f(*vals):
        return fn(x, {n: mkt.HeadValue(v) for n, v in zip(names, vals, strict=True)})

    assert torch.autograd.gradcheck(f, tuple(leaves), eps=1e-6, atol=1e-6, rtol=1e-5)


def _closed_form_families() -> set[str]:
    """Registered families for which torch resolves a hand-written closed form."""
    return {n for n, f in FAMILIES.items() if mkt.closed_form_for(f) is not None}


def test_families_refused_are_exactly_the_declared_ones():
    """Every family without a hand-written form either works on the symbolic path or is
    in REFUSED; the failure message lists the families concerned, by name."""
    refused, broken = set(), {}
    for name in sorted(set(FAMILIES) - _closed_form_families()):
        fam = FAMILIES[name]
        params = fam.example_params
        x = np.asarray(fam(**params).sample(3, rng=0), float)
        try:
            mkt.log_prob(fam, torch.as_tensor(x),
                         {k: torch.as_tensor(np.asarray(v, float)) for k, v in params.items()})
        except NotImplementedForFamily as exc:
            refused.add(name)
            if name in REFUSED and REFUSED[name] not in str(exc):
                broken[name] = str(exc)
    assert refused == set(REFUSED) and not broken, (
        f"torch refuses {sorted(refused)} but REFUSED declares {sorted(REFUSED)}; "
        f"refused without being declared: {sorted(refused - set(REFUSED))}; declared but "
        f"served: {sorted(set(REFUSED) - refused)}; messages that changed: {broken}")


# ------------------------------------------------------------------ KL
def _numpy_kl_pairs() -> set[tuple[str, str]]:
    """The NumPy closed-form KL registry as pairs of registered family names."""
    return {(_NAME_OF[p], _NAME_OF[q]) for p, q in KL_REGISTRY
            if p in _NAME_OF and q in _NAME_OF}


def test_every_kl_pair_has_a_decision():
    """Meta-test: each NumPy closed-form pair has a torch closed form or is declared
    NumPy-only (and no torch pair is without a NumPy one to be held against)."""
    numpy_pairs = _numpy_kl_pairs()
    torch_pairs = set(mkt.TORCH_KL)
    numpy_only = {(p, q) for q, ps in NUMPY_ONLY_KL.items() for p in ps}
    undecided = sorted(numpy_pairs - torch_pairs - numpy_only)
    stale = sorted(numpy_only - (numpy_pairs - torch_pairs))
    unbound = sorted(torch_pairs - numpy_pairs)
    assert not undecided and not stale and not unbound, (
        f"NumPy closed-form KL pairs with neither a torch closed form nor a NUMPY_ONLY_KL "
        f"entry: {undecided}; NUMPY_ONLY_KL entries that are not NumPy-only pairs: {stale}; "
        f"torch pairs with no NumPy closed form to bind them: {unbound}")


@pytest.mark.parametrize("pair", sorted(mkt.TORCH_KL), ids="‖".join)
def test_torch_kl_matches_numpy_closed_form(pair):
    pname, qname = pair
    pf, qf = FAMILIES[pname], FAMILIES[qname]
    names, _ = mkt.TORCH_KL[pair]
    assert pf.param_names == names == qf.param_names, pair
    rng = np.random.default_rng(sorted(mkt.TORCH_KL).index(pair))
    shared_names = [n for n in names if not pf.parameter(n).estimable]
    for p_layout, q_layout in [(_layouts(pf)[0], _layouts(qf)[0]),
                               (_layouts(pf)[1], {n: (4,) for n in qf.param_names}),
                               (_layouts(pf)[0], {n: () for n in qf.param_names})]:
        pp = _random_params(pf, rng, p_layout)
        shared = {n: pp[n] for n in shared_names}
        qq = _random_params(qf, rng, q_layout, shared)
        got = mkt.kl((pname, {k: torch.as_tensor(v) for k, v in pp.items()}),
                     (qname, {k: torch.as_tensor(v) for k, v in qq.items()}))
        ref = np.asarray(mk.kl(pf(**pp), qf(**qq), method="closed form").value, float)
        assert tuple(got.shape) == ref.shape, pair
        # KL = −H(P) − E_P[log q]: both copies subtract terms of size |H(P)|, so a KL near 0
        # (P ≈ Q) carries an absolute rounding error ~ eps·|H(P)| in each (a KL of 1e-9
        # between Bernoullis differs from mpmath by ~1e-7 relative, NumPy and torch alike)
        scale = np.abs(ref) + np.abs(np.asarray(pf(**pp).entropy(), float))
        _assert_rel(got.numpy(), ref, RTOL_KL, scale=scale,
                    what=f"KL({pname}‖{qname}) p {p_layout}, q {q_layout}")


@pytest.mark.parametrize("pair", sorted(_numpy_kl_pairs() - set(mkt.TORCH_KL)), ids="‖".join)
def test_numpy_only_kl_pair_points_to_numpy(pair):
    """The documented path for a pair without a torch closed form: NotImplementedForFamily
    naming the pair and ``mlekit.divergence.kl``, whose closed form does give a value."""
    pname, qname = pair
    pf, qf = FAMILIES[pname], FAMILIES[qname]
    pp, qq = pf(**pf.example_params), qf(**qf.example_params)
    with pytest.raises(NotImplementedForFamily, match="no torch closed-form KL") as info:
        mkt.kl(pp, qq)
    assert pf.title in str(info.value) and qf.title in str(info.value)
    assert "mlekit.divergence.kl has numeric fallbacks" in str(info.value)
    value = np.asarray(mk.kl(pp, qq, method="closed form").value, float)
    assert np.all(value >= -1e-12), (pair, value)  # a value (+inf allowed), never NaN
