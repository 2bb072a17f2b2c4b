"""Hostile input to ``mk.kl``, ``mk.derive``, ``mk.custom_family`` and ``mlekit.losses``.

KL: bad methods and sample sizes, supports that are not covered (+inf with the reason),
mismatched families (answered by an exact sum where the KL exists). derive: unknown
families and parameters, out-of-domain fixed values, NLL at NaN data or bad parameters.
custom_family: densities that are not densities and formulas that try to run code
(each tries to create a marker file). losses: NaN/inf/huge raw predictions and shapes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _cases import Answer, Case, Raises, Warns, check_close, params, run
from scipy import integrate, special, stats

import mlekit as mk
from mlekit import losses
from mlekit.errors import (
    DataError,
    DensityError,
    DerivationError,
    FormulaError,
    NumericalWarning,
    ParameterError,
    SupportError,
    UnknownNameError,
)

_MARKDIR = Path(tempfile.mkdtemp(prefix="mlekit-hostile-density-"))
MARKERS: dict[str, Path] = {}
N01, N12 = mk.Normal(0.0, 1.0), mk.Normal(1.0, 2.0)


# ----------------------------------------------------------------------- kl
def _kl_normal(m1: float, s1: float, m2: float, s2: float) -> float:
    return float(np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5)


def _is_inf_with_reason(*needles: str):
    def check(r: Any) -> None:
        assert np.isinf(r.value) and r.value > 0, r.value
        text = " ".join(r.notes)
        for n in needles:
            assert n in text, (n, r.notes)
    return check


def _kl_cases() -> list[Case]:
    out = []
    for m in ("foo", "", "m c", "closed_form_please", None):
        out.append(Case(f"kl-method-{m!r}", lambda m=m: mk.kl(N01, N12, method=m),
                        Raises(UnknownNameError, ("method",))))
    for n in (0, -5, 1, 2.5, "many"):
        out.append(Case(f"kl-mc-n_samples={n!r}",
                        lambda n=n: mk.kl(N01, N12, method="mc", n_samples=n),
                        Raises(ParameterError, ("n_samples",))))
    out.append(Case("kl-closed-form-vs-formula", lambda: mk.kl(N01, N12).value,
                    Answer(check_close(_kl_normal(0, 1, 1, 2), 1e-12))))
    out.append(Case("kl-quad-vs-formula", lambda: mk.kl(N01, N12, method="quad").value,
                    Answer(check_close(_kl_normal(0, 1, 1, 2), 1e-7))))
    # supports that are not covered: +inf with the reason
    out.append(Case("kl-uniform-not-covered", lambda: mk.kl(mk.Uniform(0, 1), mk.Uniform(0.5, 2)),
                    Answer(_is_inf_with_reason("0.5"))))
    out.append(Case("kl-normal-vs-exponential", lambda: mk.kl(N01, mk.Exponential(1.0)),
                    Answer(_is_inf_with_reason("(-inf, 0)"))))
    out.append(Case("kl-normal-vs-gamma", lambda: mk.kl(N01, mk.Gamma(2.0, 1.0)),
                    Answer(_is_inf_with_reason("0"))))
    out.append(Case("kl-poisson-vs-bernoulli", lambda: mk.kl(mk.Poisson(1.0), mk.Bernoulli(0.3)),
                    Answer(_is_inf_with_reason("2"))))
    out.append(Case("kl-bernoulli-p0-vs-p1", lambda: mk.kl(mk.Bernoulli(0.0), mk.Bernoulli(1.0)),
                    Answer(_is_inf_with_reason("0"))))
    out.append(Case("kl-beta-vs-normal-finite", lambda: mk.kl(mk.Beta(2.0, 3.0), N01).value,
                    Answer(check_close(integrate.quad(
                        lambda x: stats.beta(2, 3).pdf(x) * (stats.beta(2, 3).logpdf(x)
                                                             - stats.norm.logpdf(x)), 0, 1)[0],
                        1e-6))))
    # mismatched families where the KL exists: an exact sum over {0, 1}
    ref = sum(stats.bernoulli(0.3).pmf(k) * (stats.bernoulli(0.3).logpmf(k)
                                             - stats.poisson(1.0).logpmf(k)) for k in (0, 1))
    out.append(Case("kl-bernoulli-vs-poisson", lambda: mk.kl(mk.Bernoulli(0.3),
                                                             mk.Poisson(1.0)).value,
                    Answer(check_close(ref, 1e-10))))
    # genuinely incomparable
    out.append(Case("kl-continuous-vs-discrete", lambda: mk.kl(N01, mk.Poisson(1.0)),
                    Answer(_is_inf_with_reason())))
    out.append(Case("kl-mvn-vs-normal", lambda: mk.kl(mk.MultivariateNormal([0, 0], np.eye(2)),
                                                      N01),
                    Raises(ParameterError, ("MultivariateNormal", "Normal"))))
    out.append(Case("kl-mvn-dims", lambda: mk.kl(mk.MultivariateNormal([0, 0], np.eye(2)),
                                                 mk.MultivariateNormal([0, 0, 0], np.eye(3))),
                    Raises(ParameterError, ("dimension",))))
    out.append(Case("kl-batch-mismatch",
                    lambda: mk.kl(mk.Normal([0, 1, 2], 1), mk.Normal([0, 1], 1)),
                    Raises(ParameterError, ("(3,)", "(2,)"))))
    out.append(Case("kl-number", lambda: mk.kl(1.0, N01), Raises(ParameterError, ("float",))))
    out.append(Case("kl-None", lambda: mk.kl(N01, None), Raises(ParameterError, ())))
    for label, spec in (("import", "__import__('os').system('true')"),
                        ("attr", "normal.__class__"), ("bad-sigma", "normal(0, -1)"),
                        ("unknown", "gausian(0, 1)")):
        out.append(Case(f"kl-spec-{label}", lambda s=spec: mk.kl("normal(0, 1)", s),
                        Raises((ParameterError, UnknownNameError), ())))
    return out


# ------------------------------------------------------------------- derive
def _derive_cases() -> list[Case]:
    out = [
        Case("derive-unknown-family", lambda: mk.derive("gausian"),
             Raises(UnknownNameError, ("gausian",))),
        Case("derive-family-None", lambda: mk.derive(None), Raises(UnknownNameError, ())),
        Case("derive-wrt-unknown", lambda: mk.derive("normal", wrt="tau"),
             Raises(DerivationError, ("tau",))),
        Case("derive-fixed-unknown", lambda: mk.derive("normal", fixed={"tau": 1}),
             Raises((DerivationError, ParameterError), ("tau",))),
        Case("derive-bad-link", lambda: mk.derive("normal", link="logg"),
             Raises(UnknownNameError, ("logg",))),
        Case("derive-bad-prior", lambda: mk.derive("normal", prior="__import__('os')"),
             Raises((UnknownNameError, ParameterError, FormulaError, DerivationError),
                    ("prior",))),
    ]
    for name, fam in mk.FAMILIES.items():
        for p in fam.parameters:
            if p.event_ndim or not p.estimable:
                continue
            bad = next(v for v in (-1.0, 1.5, np.nan) if not bool(p.domain.contains(np.asarray(v))))
            out.append(Case(f"derive-{name}-fixed-{p.name}={bad}",
                            lambda name=name, p=p, bad=bad: mk.derive(name, fixed={p.name: bad}),
                            Raises(ParameterError, (p.name,))))
    d = mk.derive("normal")
    x = np.array([0.3, -1.2, 2.0])
    out += [
        Case("nll-nan-data", lambda: d.nll([1.0, np.nan], mu=0.0, sigma=1.0),
             Raises(DataError, ("index 1",))),
        Case("nll-inf-data", lambda: d.nll([np.inf, 1.0], mu=0.0, sigma=1.0),
             Raises(DataError, ("index 0",))),
        Case("nll-sigma-negative", lambda: d.nll(x, mu=0.0, sigma=-2.0),
             Raises(ParameterError, ("sigma",))),
        Case("nll-sigma-nan", lambda: d.nll(x, mu=0.0, sigma=np.nan),
             Raises(ParameterError, ("sigma",))),
        Case("nll-mu-string", lambda: d.nll(x, mu="zero", sigma=1.0),
             Raises(ParameterError, ("mu",))),
        Case("nll-missing", lambda: d.nll(x, mu=0.0), Raises(DerivationError, ("sigma",))),
        Case("nll-extra", lambda: d.nll(x, mu=0.0, sigma=1.0, tau=2.0),
             Raises(DerivationError, ("tau",))),
        Case("nll-strings", lambda: d.nll(["a"], mu=0.0, sigma=1.0),
             Raises(DataError, (("text", "numeric", "'a'"),))),
        Case("nll-vs-scipy", lambda: d.nll(x, mu=0.5, sigma=2.0),
             Answer(check_close(-stats.norm(0.5, 2.0).logpdf(x).sum(), 1e-10))),
        Case("derive-normal-sigma-fixed-constant-real",
             lambda: complex(mk.derive("normal", fixed={"sigma": 2.0}).nll(x, mu=0.5)),
             Answer(lambda v: (np.testing.assert_equal(v.imag, 0.0),
                               check_close(-stats.norm(0.5, 2.0).logpdf(x).sum(), 1e-10)(
                                   v.real)))),
        Case("nll-poisson-off-support", lambda: mk.derive("poisson").nll([1.0, 2.5], rate=2.0),
             Raises(SupportError, ("index 1",))),
    ]
    return out


# ---------------------------------------------------------------- custom_family
_DENSITY_PAYLOADS = {
    "import": "__import__('pathlib').Path(r'{m}').touch()",
    "open": "open(r'{m}', 'w')",
    "os-system": "__import__('os').system('touch {m}')",
}
_DENSITY_CONTEXTS = {
    "bare": "{e}",
    "times": "exp(-x) * ({e})",
    "exp": "exp({e})",
    "lambda": "(lambda: {e})()",
    "attribute-chain": "exp(-x).__class__({e})",
    "subscript": "[{e}][0]",
    "param-name": "exp(-x/b)/b + 0*{e}",
}


def _custom_cases() -> list[Case]:
    out = []
    for pname, payload in _DENSITY_PAYLOADS.items():
        for cname, ctx in _DENSITY_CONTEXTS.items():
            cid = f"custom-{cname}-{pname}"
            m = _MARKDIR / f"{cid}.marker"
            MARKERS[cid] = m
            f = ctx.format(e=payload.format(m=m))
            out.append(Case(cid, lambda f=f: mk.custom_family(f, {"b": "positive"},
                                                              support="positive"),
                            Raises(FormulaError, ())))
            cid = f"derive-cli-density-{cname}-{pname}"
            m2 = _MARKDIR / f"{cid}.marker"
            MARKERS[cid] = m2
            f2 = ctx.format(e=payload.format(m=m2))
            out.append(Case(cid, lambda f=f2: mk.derive(mk.custom_family(
                f, {"b": "positive"}, support="positive")), Raises(FormulaError, ())))
    out += [
        Case("custom-negative-density",
             lambda: mk.custom_family("-exp(-(x-mu)**2/2)/sqrt(2*pi)", {"mu": "real"}),
             Raises(DensityError, ("negative",))),
        Case("custom-normalised-at-one-point-only",
             lambda: mk.custom_family("2*mu*exp(-(x-mu)**2/2)/sqrt(2*pi)", {"mu": "positive"}),
             Raises(DensityError, ("mu",))),
        Case("custom-not-normalised",
             lambda: mk.custom_family("exp(-(x-mu)**2/2)", {"mu": "real"}),
             Raises(DensityError, ("mu",))),
        Case("custom-negative-somewhere",
             lambda: mk.custom_family("(1 + sin(x*b)) * exp(-x) - exp(-x)*sin(x*b)*2",
                                      {"b": "positive"}, support="positive"),
             Raises(DensityError, ())),
        Case("custom-no-parameters", lambda: mk.custom_family("exp(-x)", {}, support="positive"),
             Raises(FormulaError, ("parameter",))),
        Case("custom-unknown-symbol",
             lambda: mk.custom_family("exp(-x/b)/c", {"b": "positive"}, support="positive"),
             Raises(FormulaError, ("c",))),
        Case("custom-bad-domain",
             lambda: mk.custom_family("exp(-x/b)/b", {"b": "huge"}, support="positive"),
             Raises((UnknownNameError, FormulaError), ("huge",))),
        Case("custom-bad-support",
             lambda: mk.custom_family("exp(-x/b)/b", {"b": "positive"}, support="imaginary"),
             Raises((UnknownNameError, FormulaError), ("imaginary",))),
        Case("custom-empty", lambda: mk.custom_family("", {"b": "positive"}),
             Raises(FormulaError, ())),
        Case("custom-huge-text",
             lambda: mk.custom_family("+".join(["x"] * 20000), {"b": "positive"}),
             Raises(FormulaError, ())),
        Case("custom-laplace-fit-vs-closed-form",
             lambda: mk.custom_family("exp(-abs(x - mu)/b) / (2*b)",
                                      {"mu": "real", "b": "positive"}).fit(_LAP),
             Answer(lambda r: check_close([np.median(_LAP),
                                           np.mean(np.abs(_LAP - np.median(_LAP)))], 1e-4)(
                 [r.params["mu"], r.params["b"]]), allow=(mk.errors.ConvergenceWarning,))),
    ]
    return out


_LAP = np.random.default_rng(4).laplace(1.0, 2.0, 201)


# ------------------------------------------------------------------- losses
def _loss_cases() -> list[Case]:
    y01 = np.array([1.0, 0.0, 1.0])
    out = []
    for name in ("mse", "mae", "bce", "bce_with_logits", "poisson", "poisson_deviance",
                 "gamma_deviance", "pinball"):
        fn = getattr(losses, name)
        yt = np.array([1.0, 2.0, 3.0]) if name in ("poisson", "poisson_deviance",
                                                   "gamma_deviance", "mse", "mae",
                                                   "pinball") else y01
        good = np.array([0.5, 0.5, 0.5]) if name != "poisson" else np.zeros(3)
        for label, v in (("nan", np.nan), ("inf", np.inf), ("-inf", -np.inf)):
            bad = good.copy()
            bad[1] = v
            out.append(Case(f"loss-{name}-pred-{label}", lambda fn=fn, yt=yt, b=bad: fn(yt, b),
                            Raises(DataError, ("index 1",))))
            ybad = yt.copy()
            ybad[2] = v
            out.append(Case(f"loss-{name}-true-{label}", lambda fn=fn, yb=ybad, g=good: fn(yb, g),
                            Raises(DataError, ("index 2",))))
        out.append(Case(f"loss-{name}-shape-mismatch",
                        lambda fn=fn, yt=yt, g=good: fn(yt, g[:2]),
                        Raises(DataError, ("shape",))))
        out.append(Case(f"loss-{name}-strings", lambda fn=fn, yt=yt: fn(yt, ["a", "b", "c"]),
                        Raises(DataError, ())))
        out.append(Case(f"loss-{name}-empty", lambda fn=fn: fn([], []),
                        Raises(DataError, ("empty",))))
        out.append(Case(f"loss-{name}-bad-reduction",
                        lambda fn=fn, yt=yt, g=good: fn(yt, g, reduction="average"),
                        Raises((UnknownNameError, ParameterError), ("reduction",))))
        out.append(Case(f"loss-{name}-negative-weight",
                        lambda fn=fn, yt=yt, g=good: fn(yt, g, sample_weight=[1, -1, 1]),
                        Raises(DataError, ("index 1",))))
    # exact at the extremes (link space): independent forms via logaddexp
    z = np.array([1000.0, -1000.0, 1e307, -1e307, 0.0])
    yz = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    ref = np.sum((np.logaddexp(0, z) - yz * z) / 5)
    out.append(Case("loss-bce_with_logits-extreme-logits",
                    lambda: losses.bce_with_logits(yz, z), Answer(check_close(ref, 1e-12))))
    logits = np.array([[1000.0, -1000.0, 0.0], [0.0, 1e300, 0.0]])
    yc = np.array([1, 0])
    refc = np.mean(special.logsumexp(logits, axis=1) - logits[np.arange(2), yc])
    out.append(Case("loss-cross_entropy-extreme-logits",
                    lambda: losses.cross_entropy(yc, logits), Answer(check_close(refc, 1e-12))))
    out.append(Case("loss-cross_entropy-label-out-of-range",
                    lambda: losses.cross_entropy([0, 3], [[1.0, 2.0], [3.0, 4.0]]),
                    Raises(SupportError, ("index 1",))))
    out.append(Case("loss-poisson-huge-log-mu-overflows",
                    lambda: losses.poisson([1.0, 0.0], [1000.0, 1.0]),
                    Warns(NumericalWarning, (("overflow", "inf"),),
                          check=lambda v: np.testing.assert_equal(v, np.inf))))
    out.append(Case("loss-bce-probability-above-one", lambda: losses.bce(y01, [0.5, 1.5, 0.5]),
                    Raises(DataError, ("index 1",))))
    out.append(Case("loss-gamma_deviance-zero-pred", lambda: losses.gamma_deviance(
        [1.0, 2.0], [1.0, 0.0]), Raises(DataError, ("index 1",))))
    out.append(Case("loss-pinball-quantile-out-of-range",
                    lambda: losses.pinball([1.0], [0.5], quantile=1.5),
                    Raises(ParameterError, ("quantile",))))
    out.append(Case("loss-mse-huge", lambda: losses.mse([1e300, -1e300], [-1e300, 1e300]),
                    Warns(NumericalWarning, (), check=lambda v: np.testing.assert_equal(
                        v, np.inf))))
    out.append(Case("loss-unknown", lambda: losses.get_loss("msee"),
                    Raises(UnknownNameError, ("msee",))))
    return out


CASES = _kl_cases() + _derive_cases() + _custom_cases() + _loss_cases()


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_kl_derive_losses(case: Case) -> None:
    try:
        run(case)
    finally:
        m = MARKERS.get(case.id)
        if m is not None:
            assert not m.exists(), f"INJECTION EXECUTED: {m} was created"
