"""Hostile input to ``mk.Regression`` and ``Regression.from_formula`` (issue 22).

Every family with a regression model (``mlekit.regression._models.MODELS``) meets an
empty design, mismatched rows, NaN/inf in X or y, constant/duplicated/zero columns,
y off its support, wrong feature counts at predict and bad estimator settings. Fits
whose MLE does not exist must say so by name; valid fits are held against numpy and
statsmodels. Formulas typed by a user never reach a Python evaluator: each hostile
formula tries to create a marker file, and the test asserts it was not created.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _cases import Answer, Case, Raises, check_close, params, run

import mlekit as mk
from mlekit.errors import (
    DataError,
    FormulaError,
    NoMaximumError,
    ParameterError,
    SeparationError,
    SingularMatrixError,
    SupportError,
    UnknownNameError,
)
from mlekit.regression import Regression
from mlekit.regression._models import MODELS

N = 40
_RNG = np.random.default_rng(22)
X = _RNG.normal(size=(N, 2))


def _families() -> list[str]:
    return [n for n in mk.FAMILIES if n.replace("_", "") in MODELS]


def _xy(name: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """A valid (y, aux) for ``name`` drawn from its example member."""
    fam = mk.FAMILIES[name]
    y = np.asarray(fam(**fam.example_params).sample(N, rng=5))
    aux = {"trials": np.full(N, fam.example_params["n"])} if name == "binomial" else {}
    return y.astype(float), aux


def _fit(name: str, Xm: Any, y: Any, aux: dict | None = None, **kw: Any):
    return lambda: Regression(family=name, **kw).fit(Xm, y, **(aux or {}))


_ROW = ("row", "index", "y[")


def _family_cases(name: str) -> list[Case]:
    fam = mk.FAMILIES[name]
    y, aux = _xy(name)
    cases: list[Case] = []
    add = cases.append
    add(Case(f"{name}-empty-X", _fit(name, np.empty((0, 2)), np.empty(0),
                                     {k: v[:0] for k, v in aux.items()}),
             Raises(DataError, ("empty",))))
    add(Case(f"{name}-rows-mismatch", _fit(name, X, y[:-1], aux), Raises(DataError, ("rows",))))
    for label, v in (("nan", np.nan), ("inf", np.inf), ("-inf", -np.inf)):
        Xb = X.copy()
        Xb[4, 1] = v
        add(Case(f"{name}-X-{label}", _fit(name, Xb, y, aux),
                 Raises(DataError, ("row 4", "x1"))))
        yb = y.copy()
        yb[5] = v
        add(Case(f"{name}-y-{label}", _fit(name, X, yb, aux), Raises(DataError, ("5",))))
    add(Case(f"{name}-constant-column", _fit(name, np.c_[X, np.full(N, 3.0)], y, aux),
             Raises(SingularMatrixError, ("x2",))))
    add(Case(f"{name}-duplicated-column", _fit(name, np.c_[X, X[:, 0]], y, aux),
             Raises(SingularMatrixError, ("x0", "x2"))))
    add(Case(f"{name}-zero-column", _fit(name, np.c_[X, np.zeros(N)], y, aux),
             Raises(SingularMatrixError, ("x2",))))
    add(Case(f"{name}-X-strings", _fit(name, np.full((N, 2), "a"), y, aux),
             Raises(DataError, (("text", "numeric", "'a'"),))))
    add(Case(f"{name}-X-3d", _fit(name, X[:, :, None], y, aux),
             Raises(DataError, (("dim", "shape", "2-d", "2d"),))))
    add(Case(f"{name}-X-complex", _fit(name, X + 1j, y, aux), Raises(DataError, ("complex",))))
    sup = fam.support_of(**fam.example_params)
    bad = next((v for v in (-1.0, 0.5, 1.5, 7.0, 1e6)
                if not bool(np.all(sup.contains(np.asarray(v))))), None)
    # (any value may be a class label of Categorical and Ordinal: their labels are coded)
    if bad is not None and fam.classifier in (None, "binary"):
        yb = y.copy()
        yb[6] = bad
        add(Case(f"{name}-y-off-support={bad}", _fit(name, X, yb, aux),
                 Raises(SupportError, ("6",))))
    if name not in ("bernoulli", "categorical"):  # class labels may be text there
        add(Case(f"{name}-y-strings", _fit(name, X, np.array(["a"] * N), aux),
                 Raises(DataError, (("text", "numeric", "'a'"),))))
    add(Case(f"{name}-bad-link", _fit(name, X, y, aux, link="logg"),
             Raises(UnknownNameError, ("logg",))))
    add(Case(f"{name}-bad-cov_type", _fit(name, X, y, aux, cov_type="HC9"),
             Raises((UnknownNameError, ParameterError), ("HC9",))))
    add(Case(f"{name}-negative-alpha_l2", _fit(name, X, y, aux, alpha_l2=-1.0),
             Raises(ParameterError, ("alpha_l2",))))
    add(Case(f"{name}-nan-alpha_l2", _fit(name, X, y, aux, alpha_l2=np.nan),
             Raises(ParameterError, ("alpha_l2",))))

    def predict_wrong() -> Any:
        m = Regression(family=name).fit(X, y, **aux)
        return m.predict(X[:, :1])
    add(Case(f"{name}-predict-wrong-n-features", predict_wrong,
             Raises(DataError, ("features",))))

    def predict_nan() -> Any:
        m = Regression(family=name).fit(X, y, **aux)
        Xp = X[:3].copy()
        Xp[2, 0] = np.nan
        return m.predict(Xp)
    add(Case(f"{name}-predict-nan", predict_nan, Raises(DataError, ("row 2",))))
    return cases


def _existence_cases() -> list[Case]:
    """Fits whose MLE does not exist (issue 22 §2) must never report convergence."""
    g = np.r_[np.zeros(N // 2), np.ones(N // 2)]
    Xg = np.c_[g, X[:, 0]]
    out = []
    for name in ("poisson", "negativebinomial"):
        out.append(Case(f"{name}-all-y-zero", _fit(name, X, np.zeros(N)),
                        Raises(NoMaximumError, ())))
        y = np.r_[np.zeros(N // 2), _RNG.poisson(3.0, N // 2) + 1.0]
        out.append(Case(f"{name}-group-all-zero", _fit(name, Xg, y),
                        Raises(NoMaximumError, ("x0",))))
    yb = np.r_[_RNG.binomial(10, 0.4, N // 2), np.full(N // 2, 10)].astype(float)
    out.append(Case("binomial-group-all-success", _fit("binomial", Xg, yb,
                                                       {"trials": np.full(N, 10)}),
                    Raises(NoMaximumError, ("x0",))))
    out.append(Case("bernoulli-separated", _fit("bernoulli", np.c_[np.arange(N) - N / 2.0],
                                                (np.arange(N) >= N / 2).astype(float)),
                    Raises(SeparationError, ("x0",))))
    out.append(Case("gamma-all-y-equal-intercept-only",
                    _fit("gamma", X[:, :1], np.full(N, 2.0)),
                    Raises(NoMaximumError, ())))
    return out


def _answer_cases() -> list[Case]:
    import statsmodels.api as sm

    out = []
    Xc = sm.add_constant(X)
    y = 1.0 + X @ [0.5, -0.3] + _RNG.normal(scale=0.5, size=N)
    beta = np.linalg.lstsq(Xc, y, rcond=None)[0]
    out.append(Case("normal-vs-lstsq", lambda: Regression().fit(X, y),
                    Answer(lambda m: check_close(beta, 1e-8)(np.r_[m.intercept_, m.coef_]))))
    # condition number ~1e6: least squares solves it (issue 22 §5)
    t = np.linspace(0, 1, N)
    Xill = np.c_[t, t + 1e-6 * _RNG.normal(size=N)]
    yill = 1.0 + Xill @ [1.0, 1.0] + 0.1 * _RNG.normal(size=N)
    b_ill = np.linalg.lstsq(sm.add_constant(Xill), yill, rcond=None)[0]
    out.append(Case("normal-condition-1e6-vs-lstsq", lambda: Regression().fit(Xill, yill),
                    Answer(lambda m: check_close(b_ill, 1e-5)(np.r_[m.intercept_, m.coef_]))))
    yp = _RNG.poisson(np.exp(0.3 + X @ [0.4, -0.2])).astype(float)
    bp = sm.GLM(yp, Xc, family=sm.families.Poisson()).fit().params
    out.append(Case("poisson-vs-statsmodels", lambda: Regression("poisson").fit(X, yp),
                    Answer(lambda m: check_close(bp, 1e-6)(np.r_[m.intercept_, m.coef_]))))
    yb = (_RNG.uniform(size=N) < 1 / (1 + np.exp(-(X @ [1.0, -1.0])))).astype(float)
    bb = sm.Logit(yb, Xc).fit(disp=0).params
    out.append(Case("bernoulli-vs-statsmodels", lambda: Regression("bernoulli").fit(X, yb),
                    Answer(lambda m: check_close(bb, 1e-5)(np.r_[m.intercept_, m.coef_]))))
    # Normal with log and inverse links: well-conditioned designs, not collinear (§5)
    ypos = np.exp(1.0 + 0.3 * X[:, 0]) + 0.1 * _RNG.normal(size=N)
    for link, sm_link in (("log", sm.families.links.Log()),
                          ("inverse", sm.families.links.InversePower())):
        ref = sm.GLM(ypos, Xc[:, :2], family=sm.families.Gaussian(sm_link)).fit(tol=1e-12)
        out.append(Case(f"normal-{link}-link-vs-statsmodels",
                        lambda link=link: Regression("normal", link=link).fit(X[:, :1], ypos),
                        Answer(lambda m, ref=ref: check_close(ref.params, 1e-5)(
                            np.r_[m.intercept_, m.coef_]))))
    return out


# ----------------------------------------------------------------- formulas
_DF = pd.DataFrame({"y": 1.0 + X[:, 0] + _RNG.normal(size=N), "x1": X[:, 0], "x2": X[:, 1],
                    "g": _RNG.choice(list("abc"), N)})
_MARKDIR = Path(tempfile.mkdtemp(prefix="mlekit-hostile-"))
MARKERS: dict[str, Path] = {}

#: ways of running code; each creates the marker file {m} if it ever runs
_PAYLOADS = {
    "import-pathlib": ("__import__('pathlib').Path(r'{m}').touch()", "__import__"),
    "open": ("open(r'{m}', 'w')", "open"),
    "os-system": ("__import__('os').system('touch {m}')", "__import__"),
}
#: places in a formula where a payload might be evaluated
_CONTEXTS = {
    "I": "y ~ x1 + I({e})",
    "braces": "y ~ x1 + {{{e}}}",
    "C": "y ~ x1 + C({e})",
    "np-attr": "y ~ x1 + np.log({e})",
    "log": "y ~ x1 + log({e})",
    "bare-rhs": "y ~ {e}",
    "lhs": "{e} ~ x1",
    "paren": "y ~ x1 + ({e})",
    "interaction": "y ~ x1 + x1:{e}",
    "I-arith": "y ~ x1 + I(x1 + {e})",
    "exp": "y ~ x1 + exp({e})",
    "power": "y ~ (x1 + {e})**2",
}
#: other constructs the grammar must refuse, and the token its message names
_OTHERS = [
    ("attribute", "y ~ x1.__class__", "__class__"),
    ("dunder-name", "y ~ x1 + __builtins__", "__builtins__"),
    ("lambda", "y ~ x1 + I((lambda: 1)())", "lambda"),
    ("subscript", "y ~ x1 + I(x1[0])", "["),
    ("comprehension", "y ~ x1 + I([v for v in x1])", "for"),
    ("walrus", "y ~ x1 + I((z := x1))", ":="),
    ("starred", "y ~ x1 + log(*x1)", "*"),
    ("string", "y ~ x1 + I('abc')", "abc"),
    ("fstring", "y ~ x1 + I(f'{x1}')", "f'"),
    ("eval", "y ~ x1 + eval('1')", "eval"),
    ("exec", "y ~ x1 + exec('1')", "exec"),
    ("getattr", "y ~ x1 + getattr(x1, 'real')", "getattr"),
    ("globals", "y ~ x1 + globals()", "globals"),
    ("keyword-arg", "y ~ x1 + log(x1, base=__import__('os'))", "__import__"),
    ("C-bad-reference", "y ~ C(g, Treatment(reference=__import__('os')))", "__import__"),
    ("dict", "y ~ x1 + I({'a': 1})", "{"),
    ("semicolon", "y ~ x1; import os", ";"),
    ("newline", "y ~ x1\nimport os", "import"),
    ("two-tildes", "y ~ x1 ~ x2", "~"),
    ("empty", "", "formula"),
    ("only-tilde", "~", "~"),
    ("unknown-function", "y ~ x1 + system(x1)", "system"),
    ("huge", "y ~ " + " + ".join(["x1"] * 20000), "long"),
]


def _formula_cases() -> list[Case]:
    out = []
    for pname, (payload, token) in _PAYLOADS.items():
        for cname, ctx in _CONTEXTS.items():
            cid = f"formula-{cname}-{pname}"
            m = _MARKDIR / f"{cid}.marker"
            MARKERS[cid] = m
            f = ctx.format(e=payload.format(m=m))
            out.append(Case(cid, lambda f=f: Regression.from_formula(f, _DF),
                            Raises(FormulaError, ((token, "{", ".", "not allowed"),))))
    for cname, f, token in _OTHERS:
        out.append(Case(f"formula-{cname}", lambda f=f: Regression.from_formula(f, _DF),
                        Raises(FormulaError, (token,))))
    out.append(Case("formula-unknown-column", lambda: Regression.from_formula("y ~ x1 + zz", _DF),
                    Raises(DataError, ("'zz'",))))
    out.append(Case("formula-unknown-C-column",
                    lambda: Regression.from_formula("y ~ C(h)", _DF), Raises(DataError, ("'h'",))))
    out.append(Case("formula-unknown-response",
                    lambda: Regression.from_formula("yy ~ x1", _DF), Raises(DataError, ("'yy'",))))

    def fitted() -> Regression:
        return Regression.from_formula("y ~ x1 + C(g)", _DF)
    out.append(Case("formula-predict-unseen-level",
                    lambda: fitted().predict(pd.DataFrame({"x1": [0.1], "g": ["z"]})),
                    Raises(DataError, ("'z'", "'g'"))))
    out.append(Case("formula-predict-missing-column",
                    lambda: fitted().predict(pd.DataFrame({"x1": [0.1]})),
                    Raises(DataError, ("'g'",))))
    out.append(Case("formula-predict-nan",
                    lambda: fitted().predict(pd.DataFrame({"x1": [0.1, np.nan], "g": ["a", "b"]})),
                    Raises(DataError, ("x1", "1"))))
    import statsmodels.formula.api as smf

    ref = smf.ols("y ~ x1 + np.log(x2 + 5)", _DF).fit().params.to_numpy()
    out.append(Case("formula-log-vs-statsmodels",
                    lambda: Regression.from_formula("y ~ x1 + log(x2 + 5)", _DF),
                    Answer(lambda m: check_close(ref, 1e-8)(np.r_[m.intercept_, m.coef_]))))
    return out


CASES = [c for n in _families() for c in _family_cases(n)] + _existence_cases() \
    + _answer_cases() + _formula_cases()


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_regression(case: Case) -> None:
    try:
        run(case)
    finally:
        m = MARKERS.get(case.id)
        if m is not None:
            assert not m.exists(), f"INJECTION EXECUTED: {m} was created"
