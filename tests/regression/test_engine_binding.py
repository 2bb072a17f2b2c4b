"""Registry-driven binding tests for the generic link-space engine (issue #20 item 3).

1. Every hand-written fast path a registered family declares (``Family.row_model``,
   found by walking the registry) and each of its allowed links agrees with
   ``build_family_model`` on the same parameters: per-row NLL, gradient and observed
   Hessian w.r.t. the linear predictors, to 1e-10 relative; a meta-test fails when a
   declared row model (or one written but not declared) escapes this binding.
2. Every registered family the engine accepts: its link-space NLL is ``-family.logpdf``
   at ``distribution_params``, its gradient the finite difference of the NLL, its Hessian
   the finite difference of the gradient; the refused families are exactly the
   multivariate ones and those whose support moves with a parameter.
3. Every declared ``Parametrisation``: ``to_base(from_base(θ)) = θ`` and its
   ``jacobian``/``second`` equal finite differences of ``to_base``/``jacobian``.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlekit.errors import NotImplementedForFamily
from mlekit.families import FAMILIES, get_family
from mlekit.families._rowmodel import RowModel
from mlekit.regression._engine import build_family_model, location_of
from mlekit.regression._models import make_model

N = 40
TRIALS = 12.0

#: fast-path nuisance name -> parameter name of the generic model, where they differ
_RENAMED: dict[str, dict[str, str]] = {}  # (none: the fast paths use the engine's names)
#: fast paths with no generic counterpart, and why
_NO_GENERIC = {"categorical": "multivariate: one probability vector per row",
               "ordinal": "multivariate: a vector of ordered cut points"}
#: fast paths whose second derivatives are the expected information by design, and why
_EXPECTED_HESSIAN = {"laplace": "|y - mu| has no curvature in mu: Fisher scoring"}
#: families the engine refuses (multivariate, or a support that moves with a parameter)
_REFUSED = {"uniform", "pareto", "dirichlet", "multivariatenormal", "categorical",
            "ordinal"}


def _aux(name: str) -> dict[str, np.ndarray]:
    return {"trials": np.full(N, TRIALS)} if name == "binomial" else {}


def _rel(a: np.ndarray, b: np.ndarray, floor: float = 1e-300) -> float:
    """Largest entrywise relative difference, scale ``max(|a|, |b|, floor)``."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0


def _rel_norm(a: np.ndarray, b: np.ndarray, axis: tuple[int, ...]) -> float:
    """Largest per-row relative difference in norm (for finite differences, whose absolute
    error is set by the row's own size, not by an entry that happens to be near zero)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    num = np.sqrt(np.sum((a - b) ** 2, axis=axis))
    den = np.maximum(np.sqrt(np.maximum(np.sum(a**2, axis=axis), np.sum(b**2, axis=axis))),
                     1e-300)
    return float(np.max(num / den))


def _draw(model, rng: np.random.Generator, eta: np.ndarray, aux) -> np.ndarray:
    """y drawn from the family at the rows' natural parameters."""
    params = model.distribution_params(eta, aux)
    fam = model.family
    params = {k: np.broadcast_to(np.asarray(v, float), (N,)) for k, v in params.items()}
    if "n" in params:
        params["n"] = params["n"].astype(int)
    return np.asarray(fam.sample((), rng, **params), float).reshape(N)


def _points(model, rng: np.random.Generator, aux) -> tuple[np.ndarray, np.ndarray]:
    """Random eta near the model's start values, and y drawn at those eta."""
    w = np.ones(N)
    ex = {k: np.asarray(v, float) for k, v in model.family.example_params.items()}
    if "n" in ex:
        ex["n"] = np.asarray(int(TRIALS))
    y0 = np.asarray(model.family.sample((N,), rng, **ex), float)
    if model.family.name == "bernoulli":  # (an all-0 / all-1 draw has no finite start)
        y0[:2] = [0.0, 1.0]
    start = np.asarray(model.init_eta(y0, w, aux), float)
    eta = start[None, :] + 0.05 * rng.standard_normal((N, start.size))
    return _draw(model, rng, eta, aux), eta


# ---------------------------------------------------------------------- 1. fast vs generic
def _declared() -> dict[str, type[RowModel]]:
    """Registry name -> row model, for every registered family that declares one."""
    return {n: f.row_model for n, f in FAMILIES.items() if f.row_model is not None}


def _fast_cases():
    for key, cls in _declared().items():
        for link in cls.allowed_links:
            yield pytest.param(key, link, id=f"{key}-{link}")


def _subclasses(cls: type) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub} | _subclasses(sub)
    return out


def test_every_declared_row_model_is_covered():
    """Meta-test: the parametrised binding test visits every declared row model with every
    link it allows (a model with no allowed links would be visited with none); every
    public row model written in a family file is declared by a registered family (else
    nothing binds it); the per-family exceptions of this file name declared families only."""
    declared = _declared()
    assert len(declared) >= 11
    covered: dict[str, set[str]] = {}
    for case in _fast_cases():
        key, link = case.values
        covered.setdefault(key, set()).add(link)
    for key, cls in declared.items():
        assert cls.allowed_links, f"{key}: row model allows no named link, so none is bound"
        assert covered.get(key) == set(cls.allowed_links), key
    written = {c for c in _subclasses(RowModel)  # (the generic FamilyModel lives upstairs)
               if c.__module__.startswith("mlekit.families.") and not c.__name__.startswith("_")}
    assert written <= set(declared.values()), sorted(c.__name__ for c in written)
    for table in (_RENAMED, _NO_GENERIC, _EXPECTED_HESSIAN):
        assert set(table) <= set(declared), table


def test_fast_paths_without_generic_counterpart_are_named():
    """Only Categorical and Ordinal (vector parameters) have a fast path but no generic
    model."""
    missing = set()
    for key in _declared():
        try:
            build_family_model(key)
        except NotImplementedForFamily as e:
            assert "multivariate" in str(e)
            missing.add(key)
    assert missing == set(_NO_GENERIC)


@pytest.mark.parametrize("key,link", list(_fast_cases()))
def test_fast_path_equals_generic(key: str, link: str):
    if key in _NO_GENERIC:
        with pytest.raises(NotImplementedForFamily, match="multivariate"):
            build_family_model(key, link)
        return
    fam = get_family(key)
    fast = make_model(key, link, information="observed")
    rename = _RENAMED.get(key, {})
    fast_names = [s.nuisance or "__loc__" for s in fast.slots]
    nuis = [rename.get(n, n) for n in fast_names[1:]]
    assert all(s.transform == "log" for s in fast.slots[1:])  # (fast nuisances: log scale)
    probe = build_family_model(key, information="observed")
    loc = probe.location
    generic = build_family_model(key, {loc: link, **{n: "log" for n in nuis}},
                                 information="observed")
    gen_names = [s.name for s in generic.slots]
    assert sorted(gen_names) == sorted([loc, *nuis])
    perm = [gen_names.index(n) for n in [loc, *nuis]]  # generic column of each fast slot
    assert perm[0] == 0

    rng = np.random.default_rng(sum(map(ord, key + link)))
    aux = _aux(key)
    w = np.ones(N)
    ex = {k: np.asarray(v, float) for k, v in fam.example_params.items()}
    if "n" in ex:
        ex["n"] = np.asarray(int(TRIALS))
    y0 = np.asarray(fam.sample((N,), rng, **ex), float)
    if key == "bernoulli":  # (an all-0 / all-1 draw has no finite start)
        y0[:2] = [0.0, 1.0]
    start = np.asarray(fast.init_eta(y0, w, aux), float)
    eta = start[None, :] + 0.05 * rng.standard_normal((N, start.size))
    eta_gen = np.empty_like(eta)
    eta_gen[:, perm] = eta
    y = _draw(generic, rng, eta_gen, aux)

    # the same distribution on both sides (Bernoulli / Binomial logit: ``logits`` = eta)
    p_fast = dict(fast.distribution_params(eta, aux))
    if "logits" in p_fast:
        p_fast["p"] = 1.0 / (1.0 + np.exp(-np.asarray(p_fast.pop("logits"))))
    p_gen = generic.distribution_params(eta_gen, aux)
    for k in p_fast:
        assert _rel(np.broadcast_to(p_fast[k], (N,)), np.broadcast_to(p_gen[k], (N,))) < 1e-12

    f_nll, f_g, f_h = fast.rows(y, eta, aux, order=2)
    g_nll, g_g, g_h = generic.rows(y, eta_gen, aux, order=2)
    g_g = g_g[:, perm]
    g_h = g_h[:, perm][:, :, perm]
    assert _rel(f_nll, g_nll) < 1e-10
    assert _rel(f_g, g_g) < 1e-10
    if key in _EXPECTED_HESSIAN:
        # |y - mu| has no second derivative in mu (the observed Hessian is 0 almost
        # everywhere, no curvature for Newton), so the fast path returns the expected
        # information by design; hold it against the generic expected information instead.
        _, _, e_h = build_family_model(key, {loc: link, **{n: "log" for n in nuis}},
                                       information="expected").rows(y, eta_gen, aux)
        assert _rel(f_h, e_h[:, perm][:, :, perm]) < 1e-10
    else:
        # (floor 1e-14: a Hessian entry that is exactly 0, e.g. Bernoulli log link at y = 1,
        # comes out of the generic chain rule as a cancelling sum of O(1) terms)
        assert _rel(f_h, g_h, floor=1e-14 / 1e-10) < 1e-10


# ---------------------------------------------------------------------- 2. every family
def _accepted():
    return [n for n in FAMILIES if n not in _REFUSED]


def test_refused_families_are_exactly_these():
    refused = set()
    for name in FAMILIES:
        try:
            build_family_model(name)
        except NotImplementedForFamily:
            refused.add(name)
    assert refused == _REFUSED


@pytest.mark.parametrize("name", _accepted())
def test_generic_model_matches_logpdf_and_finite_differences(name: str):
    model = build_family_model(name, information="observed")
    fam = model.family
    aux = _aux(name)
    rng = np.random.default_rng(sum(map(ord, name)))
    y, eta = _points(model, rng, aux)
    params = model.distribution_params(eta, aux)
    if name == "laplace":
        # init_eta switched the Laplace to Fisher scoring (its observed mu-curvature is 0
        # a.e.); hold the observed derivatives of a fresh model against the differences
        assert model._scoring
        model = build_family_model(name, information="observed")

    nll, g, h = model.rows(y, eta, aux, order=2)
    assert _rel(nll, -np.asarray(fam.logpdf(y, **params), float)) < 1e-12

    m = eta.shape[1]
    step = 1e-5 * np.maximum(1.0, np.abs(eta))
    fd_g = np.empty_like(g)
    fd_h = np.empty_like(h)
    for j in range(m):  # rows are independent: one column shift moves every row at once
        up, dn = eta.copy(), eta.copy()
        up[:, j] += step[:, j]
        dn[:, j] -= step[:, j]
        nu, gu, _ = model.rows(y, up, aux, order=1)
        nd, gd, _ = model.rows(y, dn, aux, order=1)
        fd_g[:, j] = (nu - nd) / (2 * step[:, j])
        fd_h[:, :, j] = (gu - gd) / (2 * step[:, j, None])
    assert _rel_norm(g, fd_g, axis=(1,)) < 1e-6
    assert _rel_norm(h, fd_h, axis=(1, 2)) < 1e-5


# ---------------------------------------------------------------------- 3. parametrisations
def _parametrisations():
    for name, fam in FAMILIES.items():
        for pname in fam.parametrisations:
            yield pytest.param(name, pname, id=f"{name}-{pname}")


def test_some_family_declares_a_parametrisation():
    assert len(list(_parametrisations())) >= 2  # (Gamma and Beta "mean")


@pytest.mark.parametrize("name,pname", list(_parametrisations()))
def test_parametrisation_round_trip_and_derivatives(name: str, pname: str):
    fam = FAMILIES[name]
    par = fam.parametrisations[pname]
    rng = np.random.default_rng(7)
    base_names = fam.estimable_names
    ex = {k: float(np.ravel(fam.example_params[k])[0]) for k in base_names}
    theta = {k: v * np.exp(0.3 * rng.standard_normal(8)) for k, v in ex.items()}
    phi = {k: np.asarray(v, float) for k, v in par.from_base(**theta).items()}
    back = par.to_base(**phi)
    for k in base_names:
        assert _rel(back[k], theta[k]) < 1e-12

    names = par.param_names
    J = par.jacobian(**phi)
    S = par.second(**phi)
    assert {a for (_, a) in J} <= set(names) and {k for (k, _) in J} <= set(base_names)

    def shifted(a: str, sign: float, h: np.ndarray) -> dict[str, np.ndarray]:
        out = dict(phi)
        out[a] = phi[a] + sign * h
        return out

    for a in names:
        h = 1e-6 * np.maximum(1.0, np.abs(phi[a]))
        up, dn = par.to_base(**shifted(a, 1, h)), par.to_base(**shifted(a, -1, h))
        Ju, Jd = par.jacobian(**shifted(a, 1, h)), par.jacobian(**shifted(a, -1, h))
        for k in base_names:
            fd = (up[k] - dn[k]) / (2 * h)
            exact = np.broadcast_to(np.asarray(J.get((k, a), 0.0), float), fd.shape)
            assert np.allclose(exact, fd, rtol=1e-6, atol=1e-6 * np.max(np.abs(up[k])))
            for b in names:
                ia, ib = names.index(a), names.index(b)
                key = (k, b, a) if ib <= ia else (k, a, b)
                fd2 = (np.asarray(Ju.get((k, b), 0.0), float)
                       - np.asarray(Jd.get((k, b), 0.0), float)) / (2 * h)
                fd2 = np.broadcast_to(fd2, fd.shape)
                exact2 = np.broadcast_to(np.asarray(S.get(key, 0.0), float), fd.shape)
                scale = max(np.max(np.abs(exact)), 1.0)
                assert np.allclose(exact2, fd2, rtol=1e-6, atol=1e-6 * scale)


def test_location_of_every_fast_family_is_slot_zero():
    """The generic model puts its location first, as the fast paths put the mean first."""
    for key in _declared():
        if key in _NO_GENERIC:
            continue
        assert build_family_model(key).slots[0].name == location_of(get_family(key)) or \
            build_family_model(key).parametrisation is not None
