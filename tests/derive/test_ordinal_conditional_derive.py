"""``derive("ordinal", link=...)``: the cumulative link model, derived (issue #21).

``P(Y_i = j | x_i) = F(theta_{j+1} - eta_i) - F(theta_j - eta_i)``, ``eta_i = w^T x_i``
(no intercept), F the inverse link (logistic, standard normal, 1 - exp(-e^t)). The
derivation's NLL is held to the fitted ``Regression(family="ordinal", link=...)``'s
``-llf`` and to hand computations (SciPy's CDFs; mpmath at 40 digits from the links'
own SymPy inverses), its steps and renderings are checked, and the unconditional
``derive("ordinal")`` stays as it was.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.special import expit, ndtr

import mlekit as mk
from mlekit.derive._print import latex_to_mathml
from mlekit.errors import DerivationError, ParameterError, SupportError

from ._latex import compiles, needs_pdflatex

sp = pytest.importorskip("sympy")

LINKS = ("logit", "probit", "cloglog")
ORD = mk.FAMILIES["ordinal"]
CDF = {"logit": expit, "probit": ndtr, "cloglog": lambda t: -np.expm1(-np.exp(t))}
SURV = {"logit": lambda t: expit(-t), "probit": lambda t: ndtr(-t),
        "cloglog": lambda t: np.exp(-np.exp(t))}
LATENT = {"logit": lambda rng, n: rng.logistic(size=n),
          "probit": lambda rng, n: rng.normal(size=n),
          "cloglog": lambda rng, n: np.log(-np.log1p(-rng.random(n)))}  # Z ~ F, F = 1-e^{-e^t}
LETTER = {"logit": r"\sigma", "probit": r"\Phi", "cloglog": "F"}


@pytest.fixture(scope="module", params=LINKS)
def link(request):
    return request.param


def _simulate(link: str, seed: int = 11, n: int = 400):
    """K = 4 classes from the latent model y = #{j: theta_j < x^T beta + Z}, Z ~ F."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    beta, cuts = np.array([0.9, -0.6, 0.4]), np.array([-1.0, 0.2, 1.4])
    y = np.searchsorted(cuts, X @ beta + LATENT[link](rng, n))
    assert np.all(np.bincount(y, minlength=4) > 0)
    return X, y


def _by_hand(link: str, y: np.ndarray, theta, eta) -> float:
    """-sum log(F(u) - F(l)), u = theta_{y+1} - eta, l = theta_y - eta, theta_0 = -inf,
    with SciPy's CDF F, or as S(l) - S(u) (S = 1 - F) where l + u > 0: there F(u) - F(l)
    would subtract two numbers close to 1 (the cloglog's lost 5e-9 of the sum here)."""
    cut = np.concatenate([[-np.inf], np.asarray(theta, float), [np.inf]])
    u, lo = cut[y + 1] - eta, cut[y] - eta
    with np.errstate(over="ignore", invalid="ignore"):
        p = np.where(lo + u > 0, SURV[link](lo) - SURV[link](u), CDF[link](u) - CDF[link](lo))
    return float(-np.sum(np.log(p)))


# ------------------------------------------------------------------ names and shape
@pytest.mark.parametrize("name", LINKS)
def test_loss_name_per_link(name):
    d = mk.derive("ordinal", link=name)
    assert d.loss_name == f"cumulative-{name} NLL"
    assert d.wrt == ("w", "theta")
    assert d.scale == 1 and d.constant == 0
    assert set(d.arg_symbols) == {"__data__", "theta", "eta"}  # as derive("poisson", link=)
    assert "conditional" in d.title and f"through the {name} link" in d.title
    # the dict form names the moved parameter and means the same derivation
    assert mk.derive("ordinal", link={"theta": name}) is d


def test_steps_are_the_conditional_ones(link):
    d = mk.derive("ordinal", link=link)
    assert [s.title for s in d.steps] == [
        "Model", "Linear predictor", "Model in the linear predictor", "Likelihood",
        "Log-likelihood", "Negative log-likelihood", "Separate the constant",
        "Maximum likelihood = minimum loss"]
    lp = d.steps[1]
    assert "every cut point moves by the same eta_i" in lp.reason
    assert "P(Y_i < j | x_i) = F(theta_j - eta_i)" in lp.reason
    assert "no intercept" in lp.reason
    assert f"inverse {link} link" in d.steps[0].reason
    # the model step has the unshifted cut points; the next one has theta_j - eta
    eta = d.arg_symbols["eta"]
    theta = d.arg_symbols["theta"]
    assert not d.steps[0].expr.rhs.has(eta) and d.steps[2].expr.rhs.has(eta)
    for j in (1, 2, 3):
        assert d.steps[2].expr.rhs.has(theta[j] - eta)
    assert d.steps[-1].expr.lhs == sp.Tuple(*[s for s in d.steps[-1].expr.lhs.args])
    assert [str(s) for s in d.steps[-1].expr.lhs.args] == ["w_hat", "theta_hat"]


# ------------------------------------------------------------------ numbers
@pytest.fixture(scope="module")
def fitted(link):
    X, y = _simulate(link)
    res = mk.Regression(family="ordinal", link=link).fit(X, y).result_
    assert res.converged
    cuts = np.array([res.nuisance[f"theta_{j}"] for j in (1, 2, 3)])
    eta = X @ np.asarray(res.params, float)
    return X, y, res, cuts, eta


def test_nll_is_the_regressions(link, fitted):
    X, y, res, cuts, eta = fitted
    d = mk.derive("ordinal", link=link)
    got = d.nll(y, theta=cuts, eta=eta)
    assert got == pytest.approx(-res.llf, rel=1e-10)
    assert got == pytest.approx(_by_hand(link, y, cuts, eta), rel=1e-10)
    # X= and w= give the same linear predictor; the loss is the NLL per row (a = 1, c = 0)
    assert d.nll(y, theta=cuts, X=X, w=np.asarray(res.params, float)) == \
        pytest.approx(got, rel=1e-13)
    assert float(np.sum(d.loss(y, theta=cuts, eta=eta))) == pytest.approx(got, rel=1e-13)
    assert d.constant_value(y, theta=cuts, eta=eta) == 0.0


def test_nll_away_from_the_fit_and_against_mpmath(link):
    """At other parameters, each row's loss against the derivation's own SymPy pmf written
    with the link's SymPy inverse F and summed by mpmath at 40 digits."""
    import mpmath as mp

    rng = np.random.default_rng(3)
    y = np.array([0, 1, 2, 3, 1, 2, 0, 3])
    eta = rng.normal(scale=1.5, size=y.size)
    theta = [-0.7, 0.1, 1.9]
    d = mk.derive("ordinal", link=link)
    rows = d.loss(y, theta=theta, eta=eta)
    t = sp.Symbol("t", real=True)
    F = mk.get_link(link).sympy_inverse(t)
    cut = [-mp.inf, *theta, mp.inf]
    with mp.workdps(40):
        def Fm(v):
            if v == mp.inf:
                return mp.mpf(1)
            if v == -mp.inf:
                return mp.mpf(0)
            return mp.mpf(str(sp.N(F.subs(t, sp.Float(str(v), 45)), 40)))

        for yi, ei, got in zip(y, eta, rows, strict=True):
            e = mp.mpf(float(ei))
            ref = -mp.log(Fm(cut[yi + 1] - e) - Fm(cut[yi] - e))
            assert got == pytest.approx(float(ref), rel=1e-12)
    assert d.nll(y, theta=theta, eta=eta) == pytest.approx(_by_hand(link, y, theta, eta),
                                                           rel=1e-12)


def test_extreme_linear_predictor_stays_finite(link):
    """Linear predictors of ±1000 (every CDF rounds to 0 or 1) give finite, correct NLLs:
    the top class far above every cut point costs ~0, as does class 0 far below, and a
    middle class deep in the lower tail costs what F's tail says (cloglog too, where e^t
    underflows below t = -745: its log F is t - e^t/2 there)."""
    d = mk.derive("ordinal", link=link)
    big = 1000.0
    theta = [-1.0, 0.5, 2.0]
    y = np.array([3, 0, 1, 2])
    vals = d.loss(y, theta=theta, eta=np.array([big, -big, big, -big]))
    if link == "cloglog":  # class 2 at eta = -1000: P < exp(-e^1000.5), beyond any double:
        assert vals[3] == np.inf  # an infinite NLL, not NaN (the regression's, too)
        vals = vals[:3]
    assert np.all(np.isfinite(vals))
    assert vals[0] == pytest.approx(0.0, abs=1e-300) and vals[1] == pytest.approx(0.0, abs=1e-300)
    # class 1 at eta = big: both cut points deep in the lower tail
    lo, hi = theta[0] - big, theta[1] - big
    expect = {"logit": -(hi + np.log1p(-np.exp(lo - hi))),          # F(t) ~ e^t
              "probit": None,
              "cloglog": -(hi + np.log1p(-np.exp(lo - hi)))}[link]   # F(t) ~ e^t
    if expect is not None:
        assert vals[2] == pytest.approx(expect, rel=1e-12)
    else:  # Phi(t) ~ phi(t)/|t|: -log Phi(hi) ~ hi^2/2 + log(|hi| sqrt(2 pi))
        assert vals[2] == pytest.approx(hi * hi / 2 + np.log(-hi * np.sqrt(2 * np.pi)), rel=1e-5)


def test_bad_arguments_are_named():
    d = mk.derive("ordinal", link="probit")
    with pytest.raises(ParameterError, match="strictly increasing"):
        d.nll([0, 1], theta=[1.0, 0.0, 2.0], eta=[0.0, 0.0])
    with pytest.raises(ParameterError, match=r"theta has 2 entries; .* written for 3"):
        d.nll([0, 1, 2], theta=[0.0, 1.0], eta=[0.0, 0.0, 0.0])
    with pytest.raises(SupportError, match=r"found 4 at index 2"):
        d.nll([0, 1, 4], theta=[0.0, 1.0, 2.0], eta=[0.0, 0.0, 0.0])
    with pytest.raises(DerivationError, match="missing value"):
        d.nll([0, 1, 2], theta=[0.0, 1.0, 2.0])


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize("bad", ["log", "identity", "softmax", {"theta": "cauchit"}])
def test_a_link_outside_the_three_is_named(bad):
    with pytest.raises(DerivationError, match="'logit', 'probit', 'cloglog'") as err:
        mk.derive("ordinal", link=bad)
    name = bad if isinstance(bad, str) else bad["theta"]
    assert repr(name) in str(err.value)


def test_other_requests_are_refused_by_name():
    with pytest.raises(DerivationError, match="one link, which moves its theta"):
        mk.derive("ordinal", link={"mu": "logit"})
    with pytest.raises(DerivationError, match="estimates are w and theta; got wrt=sigma"):
        mk.derive("ordinal", link="logit", wrt="sigma")
    with pytest.raises(DerivationError, match="nothing can be held fixed"):
        mk.derive("ordinal", link="logit", fixed=["theta"])


def test_a_prior_penalises_the_weights():
    d = mk.derive("ordinal", link="logit", prior="gaussian", prior_scale=2.0)
    assert d.penalty_name == "L2 (ridge)" and d.penalty_strength == sp.Rational(1, 8)
    assert not d.penalty.has(d.arg_symbols["theta"])  # the cut points are not penalised


# ------------------------------------------------------------------ unchanged
def test_unconditional_ordinal_unchanged():
    d = mk.derive("ordinal")
    assert d.loss_name == "cumulative-logit NLL" and d.link == {} and d.wrt == ("theta",)
    assert [s.title for s in d.steps] == ["Model", "Likelihood", "Log-likelihood",
                                          "Negative log-likelihood", "Separate the constant",
                                          "Maximum likelihood = minimum loss"]
    sd = ORD.derivation_density()
    assert sd is ORD.derivation_density(4)
    assert sd is not ORD.derivation_density(link="logit")
    # the family's own pmf: explicit logistic CDFs, no function of the link model
    assert sd.expr.atoms(sp.exp) and not any(f.func.__name__.startswith("band")
                                             for f in sd.expr.atoms(sp.Function))
    th = [-1.0, 0.5, 2.0]
    yk = np.array([0, 1, 2, 3, 2])
    assert d.nll(yk, theta=th) == pytest.approx(-ORD(theta=th).logpdf(yk).sum(), rel=1e-12)


def test_derivation_density_link_and_shift():
    eta = sp.Symbol("eta", real=True)
    with pytest.raises(ParameterError, match="'logit', 'probit', 'cloglog'; got 'log'"):
        ORD.derivation_density(link="log")
    sd = ORD.derivation_density(3, link="probit", shift=eta)
    assert sd is ORD.derivation_density(3, link="probit", shift=eta)  # cached
    th, y = sd.params["theta"], sd.x
    vals = {th[1]: 0.2, th[2]: 1.1, eta: 0.4}
    for j, (lo, hi) in enumerate([(-np.inf, 0.2), (0.2, 1.1), (1.1, np.inf)]):
        got = float(sd.expr.subs(y, j).subs(vals).evalf())
        assert got == pytest.approx(ndtr(hi - 0.4) - ndtr(lo - 0.4), rel=1e-13)


# ------------------------------------------------------------------ rendering
def test_latex_and_mathml_read_like_a_textbook(link):
    d = mk.derive("ordinal", link=link)
    tex = d.to_latex()
    F = LETTER[link]
    assert rf"{F}{{\left({{\theta}}_{{2}} - {{\eta}}_{{i}} \right)}} - {F}" in tex
    assert rf"1 - {F}{{\left({{\theta}}_{{3}} - \eta \right)}}" in tex
    assert r"{\eta}_{i} = w^{T} x_{i}" in tex
    assert r"\underset{w, \theta}{\operatorname{argmin}}" in tex
    assert r"\left( \hat{w}, \  \hat{\theta}\right)" in tex
    for bad in ("band", "theta[", "eta[", "log_"):
        assert bad not in tex
    mml = d.to_mathml()
    assert mml.count("<math") >= len(d.steps)
    assert "<munderover><mo>&#x0220F;</mo>" in mml
    assert f"<strong>cumulative-{link} NLL</strong>" in mml
    maths = " ".join(re.findall(r"<math\b.*?</math>", mml, re.S))
    words = re.sub(r"<[^>]+>", " ", maths)
    for bad in ("band", "theta", "eta", "sigma", "Phi"):  # θ, η, σ, Φ, not Python names
        assert not re.search(rf"(?<![A-Za-z]){bad}(?![A-Za-z])", words), bad
    shifted = latex_to_mathml(d._tex(d.steps[2].shown))
    assert shifted.count("&#x003B7;") == 6  # η in every shifted cut point (6 of them)
    md = d.to_markdown()
    assert md.count("$$") == 2 * len(d.steps)


@needs_pdflatex
def test_latex_compiles(tmp_path):
    compiles([(lk, mk.derive("ordinal", link=lk).to_latex()) for lk in LINKS], tmp_path)


def test_a_hostile_link_is_a_name_not_code(tmp_path, monkeypatch):
    """The link is looked up by name among three; text that would run as Python runs nowhere
    (no marker file appears), and the refusal names it."""
    monkeypatch.chdir(tmp_path)
    for bad in ("__import__('os').system('touch MARKER')", "logit; open('MARKER', 'w')",
                "lambda: open('MARKER', 'w')"):
        with pytest.raises(DerivationError, match="'logit', 'probit', 'cloglog'"):
            mk.derive("ordinal", link=bad)
    assert not (tmp_path / "MARKER").exists()
