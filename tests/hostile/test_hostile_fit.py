"""Hostile input to ``mk.fit``, for every registered family (issue 22).

The table is built from the registry: each scalar family meets empty, one-point,
constant, NaN/inf at several places, huge (×1e300) and tiny (×1e-300) data, values
off its support, wrong types and shapes, bad weights, bad ``fixed=`` and ``method=``.
Each case is a named error naming the place, a named warning, or an answer held
against scipy's densities (see ``_cases.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from _cases import (
    SCIPY,
    Answer,
    Case,
    Raises,
    Warns,
    check_close,
    check_fit,
    example_sample,
    free_params,
    needs_fixed,
    params,
    run,
    scalar_families,
)

import mlekit as mk
from mlekit.errors import (
    DataError,
    NoMaximumError,
    NotImplementedForFamily,
    NumericalWarning,
    ParameterError,
    SupportError,
    UnknownNameError,
)

#: families whose MLE may sit on the closed edge of the parameter domain (p = 0 or 1)
_EDGE_OK = {"bernoulli", "categorical", "binomial", "geometric"}


def _fit(name: str, x: Any, **kw: Any):
    fixed = {**needs_fixed(name), **kw.pop("fixed", {})}
    return lambda: mk.fit(x, name, fixed=fixed or None, **kw)


def _in_support(name: str, v: float) -> bool:
    fam = mk.FAMILIES[name]
    return bool(np.all(fam.support_of(**fam.example_params).contains(np.asarray(v))))


def _answer(name: str, x: Any, **kw: Any) -> Answer:
    allow = (mk.BoundaryWarning,)  # a named warning: e.g. StudentT's nu at its cap
    return Answer(check_fit(name, x, fixed=needs_fixed(name), **kw), allow=allow)


def _scaled(name: str, x: np.ndarray, c: float) -> Case | None:
    """Data times ``c``: off the support -> SupportError; otherwise the fit must be
    scale-equivariant: llf(c·x) = llf(x) − n log c (continuous) and x's own fit is
    checked against scipy."""
    fam = mk.FAMILIES[name]
    cx = x * c
    tag = "huge" if c > 1 else "tiny"
    if fam.discrete:
        if np.all(cx == np.round(cx)) and _in_support(name, float(cx.max())):
            if name == "poisson":
                m = float(np.mean(cx))
                return Case(f"{name}-{tag}", _fit(name, cx), Answer(
                    lambda r, m=m: check_close(m, 1e-12)(r.params["rate"])))
            if name == "geometric":
                m = float(np.mean(cx))
                return Case(f"{name}-{tag}", _fit(name, cx), Answer(
                    lambda r, m=m: check_close(1 / (1 + m), 1e-9)(r.params["p"])))
            if name == "negativebinomial":
                m = float(np.mean(cx))
                return Case(f"{name}-{tag}", _fit(name, cx), Answer(
                    lambda r, m=m: check_close(m, 1e-9)(r.params["mu"])))
        bad = int(np.flatnonzero(~fam.support_of(**fam.example_params).contains(cx))[0])
        return Case(f"{name}-{tag}", _fit(name, cx), Raises(SupportError, (f"index {bad}",)))
    if not fam.support_parameters and not bool(
            np.all(fam.support_of(**fam.example_params).contains(cx))):
        bad = int(np.flatnonzero(~fam.support_of(**fam.example_params).contains(cx))[0])
        return Case(f"{name}-{tag}", _fit(name, cx), Raises(SupportError, (f"index {bad}",)))

    if name == "beta" and c < 1:
        # Beta is not a scale family: data × 1e-300 push β/α to ~1e300, where the score's
        # ψ(α+β) − ψ(β) keeps no digits in double precision; that must be said by name
        return Case(f"{name}-{tag}", _fit(name, cx), Warns(NumericalWarning, ("beta",)))

    def check(res: Any, x: np.ndarray = x) -> None:
        base = mk.fit(x, name)
        check_fit(name, x)(base)
        # (a declared atom, Tweedie's 0, is a probability: no Jacobian 1/c there)
        n = int(np.sum(~np.isin(x, mk.FAMILIES[name].atoms)))
        assert np.isfinite(res.llf)
        assert res.llf == pytest.approx(base.llf - n * np.log(c), abs=1e-6 * n)
    return Case(f"{name}-{tag}", _fit(name, cx), Answer(check, allow=(mk.BoundaryWarning,)))


def _family_cases(name: str) -> list[Case]:
    fam = mk.FAMILIES[name]
    x = example_sample(name, 12)
    n = x.size
    k = len(free_params(name)) - len(needs_fixed(name))
    cases: list[Case] = []
    add = cases.append
    add(Case(f"{name}-empty", _fit(name, []), Raises(DataError, ("empty",))))
    add(Case(f"{name}-empty-2d", _fit(name, np.empty((0, 1))), Raises(DataError, ("empty",))))
    for where, i in (("start", 0), ("middle", n // 2), ("end", n - 1)):
        xn = x.copy()
        xn[i] = np.nan
        add(Case(f"{name}-nan-{where}", _fit(name, xn), Raises(DataError, (f"index {i}",))))
    for sign in (1, -1):
        xi = x.copy()
        xi[3] = sign * np.inf
        add(Case(f"{name}-{'+' if sign > 0 else '-'}inf", _fit(name, xi),
                 Raises(DataError, ("index 3",))))
    # one point and constant data
    for label, data in (("one-point", x[:1]), ("constant", np.full(8, x[0]))):
        if not fam.location_intercept:  # (Ordinal: a class below x[0] has no observation)
            add(Case(f"{name}-{label}", _fit(name, data),
                     Raises(NoMaximumError, (("no observation", "one class"),))))
        elif k >= 2:
            cls = DataError if label == "one-point" else NoMaximumError
            add(Case(f"{name}-{label}", _fit(name, data),
                     Raises(cls, (("equal", "observation", "distinct"),))))
        else:
            add(Case(f"{name}-{label}", _fit(name, data), _answer(name, data)))
    # all zeros
    zeros = np.zeros(6)
    if not _in_support(name, 0.0):
        add(Case(f"{name}-all-zero", _fit(name, zeros), Raises(SupportError, ("index 0",))))
    elif name in _EDGE_OK:
        add(Case(f"{name}-all-zero", _fit(name, zeros), _answer(name, zeros)))
    elif not fam.location_intercept:
        add(Case(f"{name}-all-zero", _fit(name, zeros), Raises(NoMaximumError, ("one class",))))
    else:
        add(Case(f"{name}-all-zero", _fit(name, zeros), Raises(NoMaximumError, ())))
    # huge and tiny
    for c in (1e300, 1e-300):
        case = _scaled(name, np.abs(x) + (0 if fam.discrete else 0.0), c) if fam.discrete \
            else _scaled(name, x, c)
        if case is not None:
            add(case)
    # off the support
    for label, v in (("negative", -1.0), ("zero", 0.0), ("non-integer", 0.5)):
        if label == "zero" and name in ("weibull",):
            continue  # 0 is in the support; its own case below
        if label == "non-integer" and not fam.discrete:
            continue
        if not _in_support(name, v) and not (fam.support_parameters and label != "negative"):
            xs = np.r_[x, v]
            add(Case(f"{name}-{label}-value", _fit(name, xs),
                     Raises(SupportError, (f"index {n}",))))
    # wrong types and shapes
    add(Case(f"{name}-strings", _fit(name, ["a", "b", "c"]),
             Raises(DataError, (("'a'", "text", "numeric"),))))
    add(Case(f"{name}-None", _fit(name, None), Raises(DataError, ())))
    add(Case(f"{name}-None-in-list", _fit(name, [*x[:2].tolist(), None, *x[2:4].tolist()]),
             Raises(DataError, ("index 2",))))
    add(Case(f"{name}-dict", _fit(name, {"a": 1.0}), Raises(DataError, ())))
    add(Case(f"{name}-2d-5x2", _fit(name, x[:10].reshape(5, 2)),
             Raises(DataError, (("shape", "dimension", "1-d", "2-d"),))))
    add(Case(f"{name}-complex", _fit(name, x[:6] + 1j), Raises(DataError, ("complex",))))
    obj = np.array([*x[:3], "x", *x[3:5]], dtype=object)
    add(Case(f"{name}-object-with-string", _fit(name, obj),
             Raises(DataError, (("'x'", "index 3", "text", "numeric"),))))
    ok_obj = np.array(list(x), dtype=object)
    add(Case(f"{name}-object-numbers", _fit(name, ok_obj), _answer(name, x)))
    s = pd.Series(x, index=np.arange(100, 100 + n))
    s.iloc[4] = np.nan
    add(Case(f"{name}-series-nan", _fit(name, s), Raises(DataError, (("index 4", "104"),))))
    # weights
    for label, w, frag in (
        ("negative", np.r_[np.ones(n - 1), -1.0], f"index {n - 1}"),
        ("nan", np.r_[np.nan, np.ones(n - 1)], "index 0"),
        ("inf", np.r_[np.ones(2), np.inf, np.ones(n - 3)], "index 2"),
        ("zero-sum", np.zeros(n), "zero"),
        ("wrong-length", np.ones(n - 1), "shape"),
        ("strings", ["w"] * n, "weights"),
    ):
        add(Case(f"{name}-weights-{label}", _fit(name, x, weights=w),
                 Raises(DataError, ("weights", frag))))
    if k >= 1:
        wh = np.full(n, 1e308)
        add(Case(f"{name}-weights-1e308", _fit(name, x, weights=wh),
                 Answer(lambda r, name=name, x=x: check_fit(name, x, fixed=needs_fixed(name))(
                     _same_params_as(r, name, x)),
                     allow=(mk.BoundaryWarning,))))
    # fixed=
    add(Case(f"{name}-fixed-unknown", _fit(name, x, fixed={"tau": 1.0}),
             Raises(ParameterError, ("'tau'",))))
    for p in fam.parameters:
        if not p.estimable or p.event_ndim:
            continue
        bad = next(v for v in (-1.0, 1.5, np.nan) if not bool(p.domain.contains(np.asarray(v))))
        add(Case(f"{name}-fixed-{p.name}={bad}", _fit(name, x, fixed={p.name: bad}),
                 Raises(ParameterError, (p.name,))))
    # method=
    add(Case(f"{name}-method-bogus", _fit(name, x, method="newton-raphson-ish"),
             Raises(UnknownNameError, ("method",))))
    if fam.support_parameters:
        add(Case(f"{name}-method-generic", _fit(name, x, method="generic"),
                 Raises(NotImplementedForFamily, (fam.support_parameters[0],))))
    elif name not in ("categorical", "ordinal"):  # (a vector parameter: closed forms only)
        add(Case(f"{name}-method-generic", _fit(name, x, method="generic"), _answer(name, x)))
    return cases


class _Params:
    def __init__(self, params: dict, llf: float):
        self.params, self.llf = params, llf


def _same_params_as(res: Any, name: str, x: np.ndarray) -> _Params:
    """The params of a fit with equal huge weights, with the unweighted llf at them:
    equal frequency weights do not move the MLE."""
    from _cases import ref_logpdf

    p = {k: np.asarray(v, float) for k, v in res.params.items()}
    return _Params(p, float(np.sum(ref_logpdf(name, x, **p))))


def _all_cases() -> list[Case]:
    out: list[Case] = []
    for name in scalar_families():
        out += _family_cases(name)
    # bool data for the 0/1 families, checked on the float version
    b = np.array([True, False, True, True])
    for name in ("bernoulli", "poisson", "geometric"):
        out.append(Case(f"{name}-bool", _fit(name, b), _answer(name, b.astype(float))))
    out.append(Case("unknown-family", lambda: mk.fit([1.0, 2.0], "gausian"),
                    Raises(UnknownNameError, ("gausian",))))
    out.append(Case("family-None", lambda: mk.fit([1.0, 2.0], None),
                    Raises(UnknownNameError, ())))
    out.append(Case("weibull-zero-value", lambda: mk.fit([0.0, 1.0, 2.0, 3.0], "weibull"),
                    Raises(NoMaximumError, ("index 0",))))
    # all right-censored: the likelihood increases without bound (issue 22 §2)
    for name in ("weibull", "exponential", "normal", "lognormal", "gamma"):
        out.append(Case(f"{name}-all-right-censored",
                        lambda name=name: mk.fit(mk.Censored([1.0, 2.0, 3.0], [np.inf] * 3),
                                                 name),
                        Raises(NoMaximumError, ("censored",))))
    # multivariate families
    rng = np.random.default_rng(3)
    mv = rng.multivariate_normal([0.5, -1.0], [[2.0, 0.6], [0.6, 1.0]], size=20)
    out.append(Case("multivariatenormal-answer", lambda: mk.fit(mv, "multivariatenormal"),
                    Answer(lambda r: (check_close(mv.mean(0), 1e-10)(r.params["mean"]),
                                      check_close(np.cov(mv.T, bias=True), 1e-8)(
                                          r.params["cov"])))))
    mvn = mv.copy()
    mvn[7, 1] = np.nan
    for name, good in (("multivariatenormal", mv), ("dirichlet", rng.dirichlet([2, 3, 1], 20))):
        bad = good.copy()
        bad[7, 1] = np.nan
        out.append(Case(f"{name}-nan-row", lambda b=bad, n=name: mk.fit(b, n),
                        Raises(DataError, (("index 7", "row 7", "index (7,"),))))
        # one 1-D vector is one observation of a 20-vector: for Dirichlet it is off the
        # simplex; for the 2-d MultivariateNormal there is only one point
        out.append(Case(f"{name}-1d", lambda g=good, n=name: mk.fit(g[:, 0], n),
                        Raises(DataError, (("shape", "dimension", "sum", "observation"),))))
        out.append(Case(f"{name}-empty", lambda g=good, n=name: mk.fit(g[:0], n),
                        Raises(DataError, ("empty",))))
        out.append(Case(f"{name}-3d", lambda g=good, n=name: mk.fit(g[:, :, None], n),
                        Raises(DataError, (("shape", "dimension"),))))
    dd = rng.dirichlet([2, 3, 1], 20)
    dd[5] = [0.5, 0.6, 0.1]
    out.append(Case("dirichlet-row-not-on-simplex", lambda: mk.fit(dd, "dirichlet"),
                    Raises(SupportError, (("index 5", "row 5"),))))
    return out


CASES = _all_cases()


def test_every_family_has_a_reference() -> None:
    missing = [n for n in scalar_families() if n not in SCIPY
               and n not in ("categorical", "ordinal")]
    assert not missing, f"add a scipy reference for {missing} in _cases.SCIPY"


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_fit(case: Case) -> None:
    run(case)
