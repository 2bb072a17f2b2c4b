"""Shared machinery of the hostile-input suite (issue 22, "What it must show").

Every case is one of three outcomes, and nothing else passes:

* :class:`Raises` — a specific :class:`mlekit.errors.MlekitError` subclass whose message
  contains every fragment (each fragment may be a tuple of alternatives; matching is
  case-insensitive), i.e. it names the place: column, index or parameter;
* :class:`Warns` — a named mlekit warning (``ConvergenceWarning``, ``NumericalWarning``,
  ``BoundaryWarning``), optionally with a check of the value returned;
* :class:`Answer` — a value, held by ``check`` against an independent computation
  (scipy.stats, numpy, statsmodels, a closed form).

Every case runs with ``RuntimeWarning`` turned into an error, and any warning that is
not a named mlekit warning (NumPy's ``ComplexWarning``, a stray ``UserWarning``) fails
the case too. Any other exception (TypeError, a non-mlekit ValueError, AssertionError,
ZeroDivisionError, LinAlgError, KeyError, IndexError, MemoryError …) is a crash.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from scipy import stats

import mlekit as mk
from mlekit.errors import ConvergenceWarning, MlekitError, NumericalWarning

NAMED_WARNINGS: tuple[type[Warning], ...] = (ConvergenceWarning, NumericalWarning,
                                             mk.BoundaryWarning)
#: third-party deprecation chatter is not a mlekit answer; everything else is judged
_IGNORED = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)

Fragment = str | tuple[str, ...]


@dataclass(frozen=True)
class Raises:
    cls: type[MlekitError] | tuple[type[MlekitError], ...]
    fragments: tuple[Fragment, ...] = ()


@dataclass(frozen=True)
class Warns:
    cls: type[Warning]
    fragments: tuple[Fragment, ...] = ()
    check: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class Answer:
    check: Callable[[Any], None]
    #: named warnings that may accompany the answer (e.g. BoundaryWarning at p = 0)
    allow: tuple[type[Warning], ...] = ()


Expect = Raises | Warns | Answer


@dataclass
class Case:
    id: str
    call: Callable[[], Any]
    expect: Expect
    marks: list = field(default_factory=list)


def params(cases: Iterable[Case]) -> list:
    """``pytest.param`` objects with readable ids (ids must be unique)."""
    out, seen = [], set()
    for c in cases:
        assert c.id not in seen, f"duplicate case id {c.id}"
        seen.add(c.id)
        out.append(pytest.param(c, id=c.id, marks=c.marks))
    return out


def _has(message: str, fragment: Fragment) -> bool:
    alts = (fragment,) if isinstance(fragment, str) else fragment
    return any(a.lower() in message.lower() for a in alts)


def run(case: Case) -> Any:
    """Run one case and assert its outcome; returns the value of an Answer case."""
    exp = case.expect
    value = None
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        warnings.simplefilter("error", RuntimeWarning)
        if isinstance(exp, Raises):
            with pytest.raises(exp.cls) as info:
                case.call()
            msg = str(info.value)
            for frag in exp.fragments:
                assert _has(msg, frag), f"message lacks {frag!r}: {msg!r}"
        else:
            value = case.call()
    rec = [w for w in rec if not issubclass(w.category, _IGNORED)]
    raw = [w for w in rec if not issubclass(w.category, NAMED_WARNINGS)]
    assert not raw, "unnamed warning(s): " + "; ".join(
        f"{w.category.__name__}: {w.message}" for w in raw)
    if isinstance(exp, Warns):
        hits = [w for w in rec if issubclass(w.category, exp.cls)]
        assert hits, f"expected {exp.cls.__name__}, got {[w.category.__name__ for w in rec]}"
        msg = " ".join(str(w.message) for w in hits)
        for frag in exp.fragments:
            assert _has(msg, frag), f"warning lacks {frag!r}: {msg!r}"
        if exp.check is not None:
            exp.check(value)
    elif isinstance(exp, Answer):
        unexpected = [w for w in rec if not issubclass(w.category, exp.allow)]
        assert not unexpected, "unexpected warning(s): " + "; ".join(
            f"{w.category.__name__}: {w.message}" for w in unexpected)
        exp.check(value)
    return value


# ----------------------------------------------------------------- the registry
def scalar_families() -> list[str]:
    """Registered families with scalar data points (event_ndim == 0)."""
    return [n for n, f in mk.FAMILIES.items() if f.event_ndim == 0]


def free_params(name: str) -> tuple[str, ...]:
    fam = mk.FAMILIES[name]
    return tuple(p.name for p in fam.parameters if p.estimable)


def needs_fixed(name: str) -> dict[str, Any]:
    """Parameters that are never estimated (Binomial's n) at their example value."""
    fam = mk.FAMILIES[name]
    return {p.name: fam.example_params[p.name] for p in fam.parameters if not p.estimable}


def example_sample(name: str, n: int = 30, seed: int = 0) -> np.ndarray:
    fam = mk.FAMILIES[name]
    return np.asarray(fam(**fam.example_params).sample(n, rng=seed), float)


# ----------------------------------------------------------- independent densities
def _cat_logpmf(x: np.ndarray, p: Any) -> np.ndarray:
    p = np.asarray(p, float)
    x = np.asarray(x)
    ok = (x >= 0) & (x < p.size) & (x == np.round(x))
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    return np.where(ok, logp[np.where(ok, x, 0).astype(int)], -np.inf)


class _TweedieRef:
    """Tweedie(mu, phi, power) from outside mlekit: the density from statsmodels (scipy's
    log_wright_bessel), the CDF as P(0) + sum_j Pois(j; lam) Gamma(jk, s).cdf (scipy.stats)."""

    def __init__(self, mu: Any, phi: Any, power: Any) -> None:
        self.mu, self.phi, self.p = float(mu), float(phi), float(power)

    def logpdf(self, x: Any) -> np.ndarray:
        from statsmodels.genmod.families import Tweedie

        x = np.asarray(x, float)
        out = np.where(np.isnan(x), np.nan, -np.inf)
        ok = x >= 0
        out[ok] = Tweedie(var_power=self.p, eql=False).loglike_obs(
            x[ok], np.full(int(ok.sum()), self.mu), scale=self.phi)
        return out

    def mean(self) -> float:
        return self.mu

    def cdf(self, x: Any) -> np.ndarray:
        mu, phi, p = self.mu, self.phi, self.p
        x = np.asarray(x, float)
        lam, k = mu ** (2 - p) / (phi * (2 - p)), (2 - p) / (p - 1)
        s = phi * (p - 1) * mu ** (p - 1)
        j = np.arange(1, int(lam + 40 * np.sqrt(lam) + 60))
        xs = np.where(x > 0, x, 0.0)[..., None]
        out = np.exp(-lam) + np.sum(stats.poisson.pmf(j, lam)
                                    * stats.gamma.cdf(xs, j * k, scale=s), axis=-1)
        return np.where(np.isnan(x), np.nan, np.where(x < 0, 0.0, out))


#: scipy.stats (or numpy) versions of every scalar family, written from the textbook
#: parameterisations; a family missing here fails test_every_family_has_a_reference.
SCIPY: dict[str, Callable[..., Any]] = {
    "normal": lambda mu, sigma: stats.norm(mu, sigma),
    "bernoulli": lambda p: stats.bernoulli(p),
    "beta": lambda alpha, beta: stats.beta(alpha, beta),
    "cauchy": lambda mu, sigma: stats.cauchy(mu, sigma),
    "exponential": lambda rate: stats.expon(scale=1 / rate),
    "gamma": lambda shape, rate: stats.gamma(shape, scale=1 / rate),
    "gumbel": lambda mu, beta: stats.gumbel_r(mu, beta),
    "halfnormal": lambda sigma: stats.halfnorm(scale=sigma),
    "laplace": lambda mu, b: stats.laplace(mu, b),
    "logistic": lambda mu, s: stats.logistic(mu, s),
    "lognormal": lambda mu, sigma: stats.lognorm(sigma, scale=np.exp(mu)),
    "studentt": lambda nu, mu, sigma: stats.t(nu, mu, sigma),
    "weibull": lambda shape, scale: stats.weibull_min(shape, scale=scale),
    "binomial": lambda n, p: stats.binom(n, p),
    "geometric": lambda p: stats.geom(p, loc=-1),
    "inversegaussian": lambda mu, lam: stats.invgauss(mu / lam, scale=lam),
    "negativebinomial": lambda mu, alpha: stats.nbinom(1 / alpha, 1 / (1 + alpha * mu)),
    "pareto": lambda alpha, scale: stats.pareto(alpha, scale=scale),
    "poisson": lambda rate: stats.poisson(rate),
    "rayleigh": lambda sigma: stats.rayleigh(scale=sigma),
    "uniform": lambda low, high: stats.uniform(low, high - low),
    "tweedie": _TweedieRef,
}


def ref_logpdf(name: str, x: Any, **p: Any) -> np.ndarray:
    """log p(x; θ) from scipy (independent of mlekit's own density code)."""
    x = np.asarray(x, float)
    if name == "categorical":
        return _cat_logpmf(x, p["p"])
    if name == "ordinal":  # differences of scipy's logistic CDF at the cut points
        th = np.r_[-np.inf, np.asarray(p["theta"], float), np.inf]
        return _cat_logpmf(x, np.diff(stats.logistic.cdf(th)))
    dist = SCIPY[name](**{k: np.asarray(v, float) for k, v in p.items()})
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's own overflow chatter
        if mk.FAMILIES[name].discrete:
            return dist.logpmf(x)
        return dist.logpdf(x)


def _scalar(v: Any) -> Any:
    a = np.asarray(v, float)
    return float(a) if a.ndim == 0 else a


def check_fit(name: str, x: Any, weights: Any = None, fixed: Mapping[str, Any] | None = None,
              rel: float = 1e-3) -> Callable[[Any], None]:
    """Check a FitResult against scipy's density: its llf is the weighted sum of scipy's
    log-densities at the fitted parameters, and no nearby point (each free parameter
    moved by ±``rel`` relative) has a larger scipy log-likelihood (a local maximum)."""
    xs = np.asarray(x, float)
    w = np.ones(xs.shape[0]) if weights is None else np.asarray(weights, float)
    fixed = dict(fixed or {})

    def llf_at(p: Mapping[str, Any]) -> float:
        lp = ref_logpdf(name, xs, **p)
        with np.errstate(invalid="ignore"):
            return float(np.sum(np.where(w > 0, w * lp, 0.0)))

    def check(res: Any) -> None:
        p = {k: _scalar(v) for k, v in res.params.items()}
        for k, v in p.items():
            assert np.all(np.isfinite(v)), f"{k} = {v} is not finite"
        ref = llf_at(p)
        assert np.isfinite(res.llf), res.llf
        assert res.llf == pytest.approx(ref, rel=1e-7, abs=1e-7 * max(1.0, w.sum())), \
            (res.llf, ref)
        fam = mk.FAMILIES[name]
        for k in free_params(name):
            if k in fixed or np.ndim(p[k]) != 0:
                continue
            for s in (-1.0, 1.0):
                q = dict(p)
                step = rel * abs(p[k]) if p[k] != 0 else rel
                q[k] = p[k] + s * step
                if not bool(np.all(fam.parameter(k).domain.contains(np.asarray(q[k])))):
                    continue
                other = llf_at(q)
                assert other <= ref + 1e-8 * max(1.0, abs(ref)), \
                    f"{k}: moving {p[k]} -> {q[k]} raises the llf {ref} -> {other}"
    return check


def check_close(expected: Any, rtol: float = 1e-9, atol: float = 0.0) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        np.testing.assert_allclose(np.asarray(value, float), np.asarray(expected, float),
                                   rtol=rtol, atol=atol)
    return check


# ---------------------------------------------------------------- injection tests, shared
#: code that would create the marker file ``{m}`` if it were ever evaluated
PAYLOADS = {
    "touch": "__import__('pathlib').Path(r'{m}').touch()",
    "open": "open(r'{m}', 'w')",
    "system": "__import__('os').system('touch {m}')",
}


def spy_eval_exec(monkeypatch: Any) -> list[str]:
    """Record every source string handed to ``eval``/``exec`` (they still run): a test then
    asserts that none of them holds a piece of the user's text."""
    import builtins

    seen: list[str] = []
    orig_eval, orig_exec = builtins.eval, builtins.exec

    def rec_eval(src: Any, *a: Any, **k: Any) -> Any:
        seen.append(str(src))
        return orig_eval(src, *a, **k)

    def rec_exec(src: Any, *a: Any, **k: Any) -> Any:
        seen.append(str(src))
        return orig_exec(src, *a, **k)

    monkeypatch.setattr(builtins, "eval", rec_eval)
    monkeypatch.setattr(builtins, "exec", rec_exec)
    return seen

