"""Hostile input to frozen distributions and ``mk.parse_distribution`` (issue 22).

Every registered family is built from its example parameters; each meets parameters
outside their domain, NaN parameters, quantile levels outside [0, 1], bad sample
sizes and non-numeric arguments. Valid calls are held against scipy.stats.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _cases import (
    SCIPY,
    Answer,
    Case,
    Raises,
    check_close,
    params,
    ref_logpdf,
    run,
    scalar_families,
)

import mlekit as mk
from mlekit.errors import DataError, ParameterError, UnknownNameError

_ARG_ERRORS = (DataError, ParameterError)


def _bad_value(domain: Any) -> float:
    return next(v for v in (-1.0, 1.5, 0.5, np.inf) if not bool(domain.contains(np.asarray(v))))


def _check_far_tail(name: str, ex: dict, v: Any) -> None:
    """log p(1e300): scipy's value where scipy has one; where scipy overflows to -inf
    (Laplace, Pareto: exp or power of 1e300), the value must still be below log p(100)
    (the tail decreases) and not NaN."""
    ref = ref_logpdf(name, [1e300], **ex)
    if np.isfinite(ref[0]) or ref[0] == np.inf:
        check_close(ref, 1e-9)(v)
    else:
        near = ref_logpdf(name, [100.0], **ex)[0]
        assert v[0] == -np.inf if near == -np.inf else (not np.isnan(v[0]) and v[0] < near), v


def _has_ppf(d: Any) -> bool:
    try:
        d.ppf(0.5)
    except mk.errors.NotImplementedForFamily:
        return False
    return True


def _family_cases(name: str) -> list[Case]:
    fam = mk.FAMILIES[name]
    ex = dict(fam.example_params)
    d = fam(**ex)
    cases: list[Case] = []
    add = cases.append
    for p in fam.parameters:
        if p.event_ndim:
            continue
        bad = _bad_value(p.domain)
        add(Case(f"{name}-{p.name}={bad}", lambda p=p, bad=bad: fam(**{**ex, p.name: bad}),
                 Raises(ParameterError, (p.name,))))
        add(Case(f"{name}-{p.name}=nan", lambda p=p: fam(**{**ex, p.name: np.nan}),
                 Raises(ParameterError, (p.name,))))
        add(Case(f"{name}-{p.name}=string", lambda p=p: fam(**{**ex, p.name: "big"}),
                 Raises(ParameterError, (p.name,))))
    add(Case(f"{name}-unknown-parameter", lambda: fam(**ex, tau=1.0),
             Raises(ParameterError, ("tau",))))
    has_ppf = _has_ppf(d)
    for q in (1.5, -0.1):
        add(Case(f"{name}-ppf({q})", lambda q=q: d.ppf(q),
                 Raises(_ARG_ERRORS, (("q", "quantile", "probabilit", "level"),)) if has_ppf
                 else Raises((*_ARG_ERRORS, mk.errors.NotImplementedForFamily), ())))
    for label, size in (("negative", -3), ("non-integer", 2.5), ("huge", 10**13),
                        ("string", "ten"), ("negative-tuple", (2, -1))):
        add(Case(f"{name}-sample-{label}", lambda size=size: d.sample(size, rng=0),
                 Raises(_ARG_ERRORS, ("size",))))
    add(Case(f"{name}-sample-0", lambda: d.sample(0, rng=0),
             Answer(lambda v: (np.testing.assert_equal(np.shape(v)[0], 0)))))
    add(Case(f"{name}-logpdf-string", lambda: d.logpdf("a"),
             Raises(DataError, (("'a'", "text", "numeric"),))))
    add(Case(f"{name}-logpdf-complex", lambda: d.logpdf(np.array([1.0 + 2j])),
             Raises(DataError, ("complex",))))
    add(Case(f"{name}-logpdf-None", lambda: d.logpdf(None), Raises(DataError, ())))
    if fam.event_ndim:
        return cases
    x = np.asarray(d.sample(6, rng=1), float)
    off = [v for v in (-2.5, 0.5, 1e6) if not bool(
        fam.support_of(**ex).contains(np.asarray(v)))]
    pts = np.r_[x, off]
    add(Case(f"{name}-logpdf-vs-scipy", lambda: d.logpdf(pts),
             Answer(check_close(ref_logpdf(name, pts, **ex), 1e-9, 1e-12))))
    if has_ppf:  # NaN in, NaN out, as NumPy does (documented in Distribution)
        add(Case(f"{name}-ppf(nan)-propagates", lambda: d.ppf([np.nan, 0.5]),
                 Answer(lambda v: np.testing.assert_(np.isnan(v[0]) and np.isfinite(v[1])))))
    add(Case(f"{name}-logpdf-nan-propagates", lambda: d.logpdf([np.nan, x[0]]),
             Answer(lambda v: (np.testing.assert_(np.isnan(v[0])),
                               check_close(ref_logpdf(name, x[:1], **ex), 1e-9)(v[1:])))))
    if name in SCIPY:
        ref = SCIPY[name](**ex)
        if has_ppf:
            # discrete: scipy's ppf(0) is min(support) - 1, a convention, not a value
            qs = [0.1, 0.5, 0.9, 1.0] if fam.discrete else [0.0, 0.1, 0.5, 0.9, 1.0]
            add(Case(f"{name}-ppf-vs-scipy", lambda qs=qs: d.ppf(qs),
                     Answer(check_close(ref.ppf(qs), 1e-8))))
        if np.isfinite(ref.mean()):
            add(Case(f"{name}-mean-vs-scipy", lambda: d.mean,
                     Answer(check_close(ref.mean(), 1e-10))))
        else:
            add(Case(f"{name}-mean-undefined", lambda: d.mean,
                     Raises(mk.errors.NotImplementedForFamily, ("mean",))))
        add(Case(f"{name}-cdf-vs-scipy", lambda: d.cdf(pts),
                 Answer(check_close(ref.cdf(pts), 1e-9, 1e-14))))
        add(Case(f"{name}-logpdf-huge-x", lambda: d.logpdf([1e300]),
                 Answer(lambda v, name=name, ex=ex: _check_far_tail(name, ex, v))))
    return cases


_SPECS_BAD: list[tuple[str, str, Any, tuple]] = [
    ("import", "__import__('os').system('echo pwned')", (ParameterError, UnknownNameError), ()),
    ("attribute", "normal.__class__", ParameterError, ()),
    ("dunder-arg", "normal(mu=__import__('os'))", ParameterError, ()),
    ("lambda-arg", "normal(mu=(lambda: 1)())", ParameterError, ()),
    ("starstar", "normal(**{'mu': 0})", ParameterError, ("**",)),
    ("star", "normal(*[0, 1])", ParameterError, ()),
    ("string-arg", "normal('0', 1)", ParameterError, ()),
    ("call-call", "normal(0, 1)(2)", ParameterError, ()),
    ("subscript", "normal(0, 1)[0]", ParameterError, ()),
    ("walrus", "normal(mu:=1, sigma=1)", ParameterError, ()),
    ("fstring", "normal(f'{1}', 1)", ParameterError, ()),
    ("comprehension", "normal([i for i in range(3)], 1)", ParameterError, ()),
    ("binop", "normal(1+1, 1)", ParameterError, ()),
    ("empty", "", ParameterError, ()),
    ("spaces", "   ", ParameterError, ()),
    ("no-parens", "normal", ParameterError, ("normal",)),
    ("unknown-family", "gausian(0, 1)", UnknownNameError, ("gausian",)),
    ("sigma-negative", "normal(0, -1)", ParameterError, ("sigma",)),
    ("sigma-nan", "normal(0, nan)", ParameterError, ("sigma",)),
    ("sigma-inf", "normal(0, inf)", ParameterError, ("sigma",)),
    ("too-many-args", "normal(0, 1, 2)", ParameterError, ()),
    ("unknown-keyword", "normal(mu=0, tau=1)", ParameterError, ("tau",)),
    ("duplicate-keyword", "normal(mu=0, mu=1, sigma=1)", ParameterError, ()),
    ("p-above-one", "bernoulli(p=1.5)", ParameterError, ("p",)),
    ("bool-arg", "bernoulli(True)", ParameterError, ()),
    ("huge-text", "normal(" + "1," * 6000 + "1)", ParameterError, ()),
    ("deep-nesting", "normal(" + "[" * 300 + "]" * 300 + ", 1)", ParameterError, ()),
    ("semicolon", "normal(0, 1); import os", ParameterError, ()),
    ("newline", "normal(0, 1)\nimport os", ParameterError, ()),
]


def _spec_cases() -> list[Case]:
    out = [Case(f"parse-{label}", lambda s=spec: mk.parse_distribution(s), Raises(cls, frags))
           for label, spec, cls, frags in _SPECS_BAD]
    for name in scalar_families():
        ex = mk.FAMILIES[name].example_params
        spec = f"{name}(" + ", ".join(f"{k}={v}" for k, v in ex.items()) + ")"
        out.append(Case(f"parse-{name}-roundtrip",
                        lambda s=spec: mk.parse_distribution(s).logpdf(0.5),
                        Answer(check_close(ref_logpdf(name, 0.5, **ex), 1e-9))))
    return out


def _all_cases() -> list[Case]:
    out: list[Case] = []
    for name in mk.FAMILIES:
        out += _family_cases(name)
    return out + _spec_cases()


CASES = _all_cases()


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_distribution(case: Case) -> None:
    run(case)
