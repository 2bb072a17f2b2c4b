"""The separable route of a Tweedie regression at a fixed power (issue #21, performance).

With the power fixed, the mean's coefficients solve the deviance's score equations (no
φ in them) and φ is a 1-D fit at the fitted means (``_pipeline._separable_model``,
``TweedieFamily.separable_mean_model`` / ``dispersion_fit``). Held here:

1. against the joint fit of the generic engine as it was before this route existed: the
   numbers below were computed by that code (commit f4c2d38, ``Regression("tweedie",
   fixed={"power": p}).fit``) on the data of :func:`_data`: llf and llnull to 1e-10
   relative, coefficients and log φ to 1e-8, standard errors and φ̂'s to 1e-6 relative;
2. against ``engine="generic"`` (the joint fit, still there) in the same run, and through
   the formula route;
3. the mean's row model bound to the generic engine (registry-driven: every family that
   declares ``separable_mean_model``): gradient and Hessian in η are the generic model's
   mean block times φ/φ₀, and the NLL differs from the generic one by a constant in η;
4. ``dispersion_fit`` against the family's own score and Hessian in φ (the general
   series derivatives, power moments and all) and ``logpdf``, with and without its
   subsample start;
5. the route is taken only where it holds (φ fixed or free power: the joint fit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlekit as mk
from mlekit.families import FAMILIES
from mlekit.families.base import Family
from mlekit.regression._engine import build_family_model

SEPARABLE = "newton (the mean by its deviance, then the dispersion)"

#: name -> (n, p, power, weighted, offset, seed)
CASES = {"plain": (3000, 3, 1.5, False, False, 1),
         "weighted_offset": (3000, 3, 1.3, True, True, 2),
         "large": (100_000, 4, 1.5, False, False, 3)}

#: the joint fit by the code before the separable route (commit f4c2d38): theta is
#: [intercept, slopes..., log phi], se_theta the square roots of cov_theta's diagonal
REFERENCE = {
    "plain": {
        "llf": -4959.145265387382, "llnull": -5027.8306208632, "scale": 1.296237953629339,
        "theta": [0.24829141610497063, 0.33084976421080076, -0.027702937674900008,
                  -0.3191372862041474, 0.2616716173406831],
        "se_theta": [0.019652138082824306, 0.038467567906628766, 0.039116257523572145,
                     0.03858824169132105, 0.019687719113306648],
        "phi": 1.2990998705071903, "phi_bse": 0.025576313350678604},
    "weighted_offset": {
        "llf": -7514.299755643551, "llnull": -7656.572998059937, "scale": 1.246091899123064,
        "theta": [0.30214947786094554, 0.40257755297261383, 0.041637317140359655,
                  -0.30192753329771094, 0.2355918023004157],
        "se_theta": [0.015096850599793012, 0.029399353425188627, 0.029880537578179708,
                     0.02929335609368052, 0.015395365405845294],
        "phi": 1.2656575662002214, "phi_bse": 0.01948526071032524},
    "large": {
        "llf": -168335.8129106293, "llnull": -171384.29262569695, "scale": 1.3038272767098045,
        "theta": [0.3010669702313984, 0.3951333107732861, 0.17045960461578477,
                  -0.06079293203855155, -0.2926725078335303, 0.26148783780899004],
        "se_theta": [0.003363601326758267, 0.0066641517716158685, 0.006661603158776617,
                     0.006650596877042168, 0.006674153617120088, 0.0034201895945243583],
        "phi": 1.2988611444785167, "phi_bse": 0.004442351371077422},
}


def _data(n, p, power, weighted, offset, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * 0.5
    b = np.linspace(0.4, -0.3, p)
    off = 0.2 * rng.standard_normal(n) if offset else None
    eta = 0.3 + X @ b + (0 if off is None else off)
    y = np.asarray(mk.Tweedie.sample((), rng, mu=np.exp(eta), phi=1.3, power=power), float)
    w = rng.integers(0, 4, n).astype(float) if weighted else None
    return X, y, w, off


def _fit(case, **options):
    n, p, power, weighted, offset, seed = CASES[case]
    X, y, w, off = _data(n, p, power, weighted, offset, seed)
    kw = {}
    if w is not None:
        kw["sample_weight"] = w
    if off is not None:
        kw["offset"] = off
    return mk.Regression("tweedie", fixed={"power": power}, **options).fit(X, y, **kw).result_


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


@pytest.mark.parametrize("case", list(CASES))
def test_equals_the_joint_fit_before_it(case):
    r = _fit(case)
    ref = REFERENCE[case]
    assert r.method == SEPARABLE
    assert abs(r.llf / ref["llf"] - 1) < 1e-10
    assert abs(r.llnull / ref["llnull"] - 1) < 1e-10
    assert np.max(np.abs(r.theta - ref["theta"])) < 1e-8
    assert abs(r.nuisance["phi"] / ref["phi"] - 1) < 1e-6
    assert _rel(np.sqrt(np.diag(r.cov_theta)), ref["se_theta"]) < 1e-6
    assert abs(r.nuisance_bse["phi"] / ref["phi_bse"] - 1) < 1e-6
    assert abs(r.scale / ref["scale"] - 1) < 1e-10   # (the Pearson scale of the SEs)


def test_equals_the_generic_engine_and_the_formula_route():
    X, y, w, _ = _data(600, 2, 1.6, True, False, 11)
    fast = mk.Regression("tweedie", fixed={"power": 1.6}).fit(X, y, sample_weight=w).result_
    gen = mk.Regression("tweedie", fixed={"power": 1.6}, engine="generic").fit(
        X, y, sample_weight=w).result_
    assert fast.method == SEPARABLE and gen.method == "newton"
    assert abs(fast.llf / gen.llf - 1) < 1e-10 and abs(fast.llnull / gen.llnull - 1) < 1e-10
    assert np.max(np.abs(fast.theta - gen.theta)) < 1e-7
    assert _rel(np.sqrt(np.diag(fast.cov_theta)), np.sqrt(np.diag(gen.cov_theta))) < 1e-6
    df = pd.DataFrame({"y": y, "a": X[:, 0], "b": X[:, 1], "w": w})
    form = mk.Regression.from_formula("y ~ a + b", data=df, family="tweedie",
                                      sample_weight=df["w"], fixed={"power": 1.6}).result_
    assert form.method == SEPARABLE
    assert abs(form.llf / fast.llf - 1) < 1e-13
    assert np.max(np.abs(form.theta - fast.theta)) < 1e-12


def test_route_only_where_it_holds():
    X, y, _, _ = _data(400, 2, 1.5, False, False, 5)
    both = mk.Regression("tweedie", fixed={"power": 1.5, "phi": 1.3}).fit(X, y).result_
    assert both.method == "newton"   # φ fixed: nothing to separate (the joint engine)
    ridge = mk.Regression("tweedie", fixed={"power": 1.5}, alpha_l2=0.1).fit(X, y).result_
    assert ridge.method != SEPARABLE
    assert mk.Tweedie.separable_mean_model(mk.links.get_link("log"), {}, y, None) is None


# ---------------------------------------------------------------------- 3. binding
def _separable_families():
    """Families that write the separable route's mean model (the declared default on
    Family returns None: no route)."""
    return [name for name, fam in FAMILIES.items()
            if type(fam).separable_mean_model is not Family.separable_mean_model]


def test_some_family_is_separable():
    assert "tweedie" in _separable_families()


@pytest.mark.parametrize("name", _separable_families())
@pytest.mark.parametrize("link", ["log", "identity", "inverse"])
def test_mean_model_is_bound_to_the_generic_engine(name, link):
    from mlekit.links import get_link

    fam = FAMILIES[name]
    power = float(fam.example_params["power"])
    rng = np.random.default_rng(sum(map(ord, name + link)))
    g = get_link(link)
    mu = np.exp(0.5 * rng.standard_normal(60))
    phi = 0.8
    y = np.asarray(fam.sample((), rng, mu=mu, phi=phi, power=power), float)
    y[:3] = 0.0
    mean = fam.separable_mean_model(g, {"power": power}, y, None)
    generic = build_family_model(name, {"mu": link, "phi": "log"}, fixed={"power": power})
    assert [s.name for s in generic.slots] == ["mu", "phi"]
    e1 = np.asarray(g.link(mu), float)
    e2 = np.asarray(g.link(mu * np.exp(0.3 * rng.standard_normal(60))), float)
    r = mean.scale / phi
    out = []
    for e in (e1, e2):
        eta = np.column_stack([e, np.full(60, np.log(phi))])
        nll, grad, hess = generic.rows(y, eta, {}, order=2)
        mnll, mgrad, mhess = mean.rows(y, e[:, None], {}, order=2)
        np.testing.assert_allclose(mgrad[:, 0] * r, grad[:, 0], rtol=1e-10, atol=1e-300)
        np.testing.assert_allclose(mhess[:, 0, 0] * r, hess[:, 0, 0], rtol=1e-10,
                                   atol=1e-12 * np.max(np.abs(hess[:, 0, 0])))
        # (β, log φ): minus the β-gradient, as the pipeline assembles it
        np.testing.assert_allclose(hess[:, 0, 1], -grad[:, 0], rtol=1e-10,
                                   atol=1e-12 * np.max(np.abs(grad[:, 0])))
        out.append((nll, mnll * r))
    # the NLLs differ by a constant in η (the series term log a(y, φ, p))
    np.testing.assert_allclose(out[0][0] - out[1][0], out[0][1] - out[1][1], rtol=1e-9,
                               atol=1e-9 * np.max(np.abs(out[0][0])))


# ---------------------------------------------------------------------- 4. dispersion
@pytest.mark.parametrize("n,weighted", [(2000, True), (100_000, False)])
def test_dispersion_fit_against_score_hessian_and_logpdf(n, weighted):
    rng = np.random.default_rng(n)
    mu = np.exp(0.4 * rng.standard_normal(n))
    y = np.asarray(mk.Tweedie.sample((), rng, mu=mu, phi=2.0, power=1.4), float)
    w = rng.integers(0, 3, n).astype(float) if weighted else None
    u, nll, d2 = mk.Tweedie.dispersion_fit(y, w, mu, 1.4)
    phi = float(np.exp(u))
    ww = np.ones(n) if w is None else w
    assert abs(nll / -np.sum(ww * mk.Tweedie.logpdf(y, mu, phi, 1.4)) - 1) < 1e-12
    s = np.sum(ww * mk.Tweedie.score(y, mu, phi, 1.4)["phi"]) * phi      # d ll / d log φ
    h = np.sum(ww * mk.Tweedie.hessian(y, mu, phi, 1.4)[("phi", "phi")]) * phi**2 + s
    assert abs(s) / np.sqrt(-h) < 1e-6      # the score, in standard errors: ~0
    assert abs(d2 / -h - 1) < 1e-6
