"""A family's solver may hand ``estimate.fit`` the maximised log-likelihood and the
observed information (``MLEstimate.details``): both must equal the direct sums."""

from __future__ import annotations

import numpy as np
import pytest

import mlekit as mk
from mlekit.estimate import fit
from mlekit.families._mle_tools import MLEstimate

RNG = np.random.default_rng(11)
CASES = [
    ("normal", RNG.normal(1.0, 2.0, 4000), {}),
    ("normal", RNG.normal(1.0, 2.0, 4000), {"mu": 0.5}),
    ("lognormal", np.exp(RNG.normal(0.5, 0.8, 4000)), {}),
    ("lognormal", np.exp(RNG.normal(0.5, 0.8, 4000)), {"mu": 0.3}),
    ("gamma", RNG.gamma(2.5, 1 / 1.7, 4000), {}),
    ("gamma", RNG.gamma(2.5, 1 / 1.7, 4000), {"rate": 1.5}),
    ("beta", RNG.beta(2.0, 5.0, 4000), {}),
    ("beta", RNG.beta(2.0, 5.0, 4000), {"alpha": 2.2}),
    ("weibull", 2.0 * RNG.weibull(1.7, 4000), {}),
    ("weibull", 2.0 * RNG.weibull(1.7, 300_000), {}),  # subsampled start
    ("studentt", 1.0 + 2.0 * RNG.standard_t(4.0, 4000), {}),
    ("studentt", 1.0 + 2.0 * RNG.standard_t(4.0, 4000), {"nu": 3.0}),
]


def _direct_information(fam, x, w, params, free):
    """−∂²ℓ by central differences of the analytic score sums."""
    k = len(free)
    out = np.empty((k, k))
    for j, b in enumerate(free):
        h = 1e-5 * max(1.0, abs(params[b]))
        up, dn = dict(params), dict(params)
        up[b] += h
        dn[b] -= h
        su, sd = fam.score(x, **up), fam.score(x, **dn)
        for i, a in enumerate(free):
            out[i, j] = -np.sum(w * (su[a] - sd[a])) / (2 * h)
    return 0.5 * (out + out.T)


@pytest.mark.parametrize("name,x,fixed", CASES,
                         ids=[f"{c[0]}-{'-'.join(c[2]) or 'all'}-{c[1].size}" for c in CASES])
@pytest.mark.parametrize("weighted", [False, True])
def test_solver_details_equal_direct_sums(name, x, fixed, weighted):
    fam = mk.get_family(name)
    w = RNG.integers(0, 4, x.size).astype(float) if weighted else None
    est = fam.mle(x, weights=w, fixed=fixed or None)
    assert isinstance(est, MLEstimate)
    assert set(est.details) == {"llf", "information"}
    assert all(not k.startswith("_") for k in est)  # a plain dict of parameters
    params = {k: float(v) for k, v in est.items()}
    ww = np.ones_like(x) if w is None else w
    direct = float(np.sum(ww * fam.logpdf(x, **params)))
    assert est.details["llf"] == pytest.approx(direct, rel=1e-11, abs=1e-8)
    free = [n for n in fam.estimable_names if n not in fixed]
    got = np.array([[est.details["information"].get((a, b), est.details["information"].get((b, a)))
                     for b in free] for a in free])
    np.testing.assert_allclose(got, _direct_information(fam, x, ww, params, free),
                               rtol=2e-6, atol=1e-6 * np.abs(got).max())

    res = fit(x, name, weights=w, fixed=fixed or None)
    assert res.information == "observed (Hessian)"
    assert res.llf == pytest.approx(direct, rel=1e-11, abs=1e-8)
    gen = fit(x, name, weights=w, fixed=fixed or None, method="generic")
    for n in free:
        assert res.bse[n] == pytest.approx(gen.bse[n], rel=1e-5)


def test_expected_information_is_not_replaced():
    x = RNG.weibull(1.7, 2000)
    obs = fit(x, "weibull")
    exp = fit(x, "weibull", information="expected")
    assert exp.information.startswith("expected")
    assert obs.bse["shape"] != exp.bse["shape"]  # Weibull's observed ≠ expected information


def test_details_dropped_when_the_information_underflows():
    x = RNG.gamma(2.5, 1.0, 500) * 1e300
    est = mk.get_family("gamma").mle(x)
    assert "information" not in est.details or all(
        np.isfinite(v) for v in est.details["information"].values())
    res = fit(x, "gamma")
    assert np.isfinite(res.llf)
    assert all(np.isfinite(v) for v in res.bse.values())
