"""``mlekit.torch`` on the combinators, driven by the registry: the torch log-density of
each combinator (compiled from the SymPy density the combinator builds out of its base's:
Piecewise/Eq for zero-inflation and hurdles, finite sums and erf for truncation, a weighted
sum with the weights' entries for mixtures) equals the NumPy ``logpdf`` to 1e-10 in float64,
and its autograd gradient equals a central finite difference of the NumPy NLL.

Which bases run (to keep the file fast): for each combinator, the first two eligible
registered families in name order that have a closed SymPy density (Truncated: counts with
``low=1``, and Normal/Logistic with both ends), and Mixture over Normal (k=2) and over
Poisson and NegativeBinomial.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sympy")

import mlekit as mk  # noqa: E402
import mlekit.torch as mkt  # noqa: E402
from mlekit.errors import MlekitError, NotImplementedForFamily, ParameterError  # noqa: E402

MAKERS = {
    "zeroinflated": mk.ZeroInflated,
    "hurdle": mk.Hurdle,
    "truncated": lambda f: mk.Truncated(f, low=1) if f.discrete else None,
    "shifted": mk.Shifted,
}


def _cases():
    out = []
    for kind, make in MAKERS.items():
        taken = 0
        for name in sorted(mk.FAMILIES):
            fam = mk.FAMILIES[name]
            try:
                comb = make(fam)
            except MlekitError:
                continue
            if comb is None or not comb.has_symbolic_density:
                continue
            out.append(pytest.param(comb, id=f"{kind}-{name}"))
            taken += 1
            if taken == 2:
                break
    out += [pytest.param(mk.Truncated(mk.Normal, low=-1.0, high=2.5), id="truncated-normal"),
            pytest.param(mk.Truncated(mk.Logistic, low=0.5), id="truncated-logistic"),
            pytest.param(mk.Mixture(mk.Normal, k=2), id="mixture-normal"),
            pytest.param(mk.Mixture([mk.Poisson, mk.NegativeBinomial]),
                         id="mixture-poisson-negbin")]
    return out


CASES = _cases()


def _params(fam, rng):
    out = {}
    for p in fam.parameters:
        v = np.asarray(fam.example_params[p.name], float)
        if p.event_ndim:
            out[p.name] = rng.dirichlet(np.full(v.shape[-1], 4.0))
        elif not p.estimable:
            out[p.name] = v
        else:
            u = float(p.domain.to_unconstrained(v)) + float(rng.normal(scale=0.3))
            out[p.name] = np.asarray(p.domain.from_unconstrained(np.asarray(u)), float)
    return out


def _data(fam, params, rng):
    x = np.asarray(fam(**params).sample(20, rng=rng), float)
    if fam.discrete and fam.kind in ("zeroinflated", "hurdle"):
        x[:2] = [0.0, 1.0]
    return x


def test_every_combinator_is_sampled():
    assert {c.values[0].kind for c in CASES} == {"zeroinflated", "hurdle", "truncated",
                                                 "shifted", "mixture"}


@pytest.mark.parametrize("fam", CASES)
def test_log_prob_and_gradient_match_numpy(fam):
    rng = np.random.default_rng(abs(hash(fam.name)) % 2**32)
    params = _params(fam, rng)
    x = _data(fam, params, rng)
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
          for k, v in params.items()}
    lp = mkt.log_prob(fam, torch.as_tensor(x, dtype=torch.float64), tp)
    assert lp.dtype == torch.float64
    np.testing.assert_allclose(lp.detach().numpy(), fam(**params).logpdf(x), rtol=1e-10,
                               atol=1e-12)
    (-lp.sum()).backward()

    def nll(p):
        return -float(np.sum(fam.logpdf(x, **p)))

    for p in fam.parameters:
        if not p.estimable:
            continue
        v = np.asarray(params[p.name], float)
        grad = tp[p.name].grad.numpy()
        for j in np.ndindex(v.shape):
            h = 1e-6 * max(1.0, abs(float(v[j])))
            up, dn = v.copy(), v.copy()
            up[j] += h
            dn[j] -= h
            fd = (nll({**params, p.name: up}) - nll({**params, p.name: dn})) / (2 * h)
            assert float(grad[j]) == pytest.approx(fd, rel=1e-6, abs=1e-6), (p.name, j)


@pytest.mark.parametrize("fam", [mk.ZeroInflated(mk.Poisson), mk.Hurdle(mk.Poisson),
                                 mk.Mixture(mk.Normal, k=2)], ids=lambda f: f.name)
def test_nll_loss_from_raw_outputs_equals_numpy(fam):
    """NLLLoss with the default heads (pi: logit, rate: log, weights: softmax) from raw
    outputs equals the NumPy NLL at the parameters those outputs stand for."""
    params = dict(fam.example_params)
    x = _data(fam, params, np.random.default_rng(5))
    n = x.size
    raw = {}
    for p in fam.parameters:
        v = np.asarray(params[p.name], float)
        head = mkt.default_head(fam, p.name)
        eta = {"logit": lambda t: np.log(t / (1 - t)), "log": np.log, "identity": lambda t: t,
               "softmax": np.log}[head](v)
        raw[p.name] = torch.as_tensor(np.broadcast_to(eta, (n, *v.shape)).copy(),
                                      dtype=torch.float64)
    loss = mkt.NLLLoss(fam, reduction="sum")
    got = float(loss(raw, torch.as_tensor(x, dtype=torch.float64)))
    assert got == pytest.approx(-float(np.sum(fam(**params).logpdf(x))), rel=1e-10)


def test_series_density_refuses_symbolically_and_ordinal_wants_a_vector():
    """Tweedie (a series density) has no closed or symbolic torch log-density: a named
    refusal (it is served by the NumPy bridge: tests/torch/test_torch_registry_binding.py).
    The Ordinal has a torch closed form over its vector of cut points; a single number for
    ``theta`` is refused by name, not an IndexError."""
    y = torch.tensor([1.0], dtype=torch.float64)
    with pytest.raises(NotImplementedForFamily, match="infinite series"):
        mkt.log_prob(mk.Tweedie, y, {"mu": 1.0, "phi": 1.0, "power": 1.5}, method="symbolic")
    ordinal = mk.FAMILIES["ordinal"]
    with pytest.raises(ParameterError, match="vector of K-1 increasing cut points"):
        mkt.log_prob(ordinal, y, {k: 1.0 for k in ordinal.param_names})


@pytest.mark.parametrize(("fam", "params", "y"), [
    # a truncated series density; a mass that is the incomplete gamma in the shape (which
    # torch cannot differentiate in that argument, so the symbolic path refuses it)
    (mk.Truncated(mk.Tweedie, high=3.0), {"mu": 1.2, "phi": 0.8, "power": 1.5},
     [0.0, 0.4, 1.7, 2.9]),
    (mk.Truncated(mk.Gamma, high=3.0), {"shape": 2.0, "rate": 1.3}, [0.2, 1.1, 2.5]),
], ids=["truncated tweedie", "truncated gamma"])
def test_no_symbolic_form_is_served_by_the_numpy_bridge(fam, params, y):
    """The combinator's own NumPy logpdf, its gradient the combinator's score: values to
    1e-12, gradients to central differences of the NumPy NLL (rel 1e-6)."""
    fn, used = mkt.resolve_log_density(fam)
    assert used == "numpy"
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in params.items()}
    yt = torch.tensor(y, dtype=torch.float64)
    lp = fn(yt, {k: mkt.HeadValue(v) for k, v in leaves.items()})
    ref = fam(**params).logpdf(np.asarray(y))
    np.testing.assert_allclose(lp.detach().numpy(), ref, rtol=1e-12)
    lp.sum().backward()
    for k in params:
        e = 1e-6 * max(1.0, abs(params[k]))
        up = fam(**{**params, k: params[k] + e}).logpdf(np.asarray(y)).sum()
        dn = fam(**{**params, k: params[k] - e}).logpdf(np.asarray(y)).sum()
        assert float(leaves[k].grad) == pytest.approx((up - dn) / (2 * e), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize(("fam", "far"), [
    (mk.Mixture(mk.Normal, k=2), [60.0, -80.0]),                 # every component underflows
    (mk.Mixture([mk.Poisson, mk.NegativeBinomial]), [600.0]),      # Γ(601) overflows
    (mk.ZeroInflated(mk.Poisson), [600.0]),
], ids=["normal-mixture-tails", "count-mixture-600", "zip-600"])
def test_far_data_stay_finite_and_exact(fam, far):
    """A log-sum-exp for the mixture's log Σ w_j f_j and lgamma for log y!: finite and equal
    to the NumPy logpdf where a naive sum of densities underflows to log 0 = -inf."""
    params = dict(fam.example_params)
    x = np.array([0.0, 3.0, *far])
    lp = mkt.log_prob(fam, torch.as_tensor(x, dtype=torch.float64),
                      {k: torch.as_tensor(np.asarray(v, float)) for k, v in params.items()})
    ref = fam(**params).logpdf(x)
    assert np.all(np.isfinite(ref))
    np.testing.assert_allclose(lp.numpy(), ref, rtol=1e-10)
