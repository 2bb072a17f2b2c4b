r"""KL divergence, entropy and cross-entropy of frozen distributions.

All three are expectations under the **first** argument ``p``:

.. math::

    \mathrm{KL}(p \,\|\, q) = \mathbb{E}_{p}[\log p(X) - \log q(X)], \qquad
    H(p) = -\mathbb{E}_{p}[\log p(X)], \qquad
    H(p, q) = -\mathbb{E}_{p}[\log q(X)] = H(p) + \mathrm{KL}(p \,\|\, q).

``method="auto"`` tries, in order: a closed form registered for the pair of
families (:func:`mlekit.families.lookup_kl`, most specific pair first); an
exact sum over a discrete support (finite, or countable with a tail bound);
adaptive quadrature over a one-dimensional continuous support (in log space,
with scipy's error estimate); Monte Carlo (seeded, with its standard error).
Every result says which method ran and its error estimate. KL is ``+inf``
where p is not absolutely continuous with respect to q — never NaN.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from scipy.special import logsumexp

from ..errors import (
    ConvergenceWarning,
    NotImplementedForFamily,
    NumericalWarning,
    ParameterError,
    did_you_mean,
)
from ..families import Distribution, lookup_kl
from ._result import METHODS, DivergenceResult
from ._support import (
    as_distribution,
    broadcast_dist,
    check_compatible,
    explain_infinite,
    has_logsf,
    member,
    support_bounds,
    support_within,
)

__all__ = ["cross_entropy", "entropy", "kl"]

_CHOICES = ("auto", *METHODS)
_ALIASES = {"closedform": "closed form", "closed": "closed form", "formula": "closed form",
            "sum": "exact", "quadrature": "quad", "integrate": "quad",
            "montecarlo": "mc", "monte carlo": "mc", "sampling": "mc"}

#: the largest number of points summed over a discrete support before giving up
MAX_TERMS = 10_000_000


def _check_options(rtol: Any, n_samples: Any, seed: Any) -> tuple[float, int, int | None]:
    """Validate the numeric options shared by kl / entropy / cross_entropy (by name)."""
    try:
        r = float(rtol)
    except (TypeError, ValueError):
        raise ParameterError(f"rtol must be a number in (0, 1), not {rtol!r}") from None
    if not 0.0 < r < 1.0:
        raise ParameterError(f"rtol must be in (0, 1), not {rtol!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        if isinstance(n_samples, (float, np.floating)) and float(n_samples).is_integer():
            n_samples = int(n_samples)
        else:
            raise ParameterError(f"n_samples (the Monte Carlo sample size) must be an integer "
                                 f">= 2, not {n_samples!r}")
    if n_samples < 2:
        raise ParameterError(f"n_samples (the Monte Carlo sample size) must be >= 2 so that a "
                             f"standard error can be estimated, not {n_samples}; "
                             "try n_samples=100000")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ParameterError(f"seed must be a non-negative integer or None, not {seed!r}")
        seed = int(seed)
    return r, int(n_samples), seed


def _method_name(method: str) -> str:
    key = str(method).strip().lower().replace("_", " ").replace("-", " ")
    key = _ALIASES.get(key, _ALIASES.get(key.replace(" ", ""), key))
    if key not in _CHOICES:
        raise did_you_mean(method, _CHOICES, what="divergence method")
    return key


# ====================================================================== engines
# Each engine computes E_p[g(X)] for ONE member p (scalar parameters); g(x, logp)
# returns the integrand and may return +inf (then the expectation is +inf).

Integrand = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _weighted(lp: np.ndarray, gx: np.ndarray) -> tuple[np.ndarray, bool]:
    """p(x)·g(x), with 0 where p(x) = 0 in floating point; flag g = +inf where p(x) > 0.

    A point where p's density underflows to 0 contributes nothing even if log q
    overflows to −inf there (e.g. the far left tail of a Gumbel q): genuine support
    mismatches are caught beforehand by comparing the supports.
    """
    w = np.exp(lp)
    charged = w > 0
    infinite = bool(np.any(charged & (gx == np.inf)))
    with np.errstate(over="ignore", invalid="ignore"):
        terms = np.where(charged & np.isfinite(gx), w * np.where(np.isfinite(gx), gx, 0.0), 0.0)
    return terms, infinite


def _exact_member(p: Distribution, g: Integrand, rtol: float) -> tuple[float, float, int]:
    """Sum over the support of a discrete p: finite supports exactly; countable ones until
    the tail beyond the cut-off is below ``rtol`` (tail mass from ``logsf`` when the family
    has one, else 1 − the summed mass), reporting the tail-contribution estimate as error."""
    lo, hi, _ = support_bounds(p)
    lo, hi = float(lo), float(hi)
    if not math.isfinite(lo):
        raise NotImplementedForFamily(
            f"{p.family.title}: exact sums need a support bounded below")
    if math.isfinite(hi) and hi - lo < MAX_TERMS:
        x = np.arange(lo, hi + 1.0)
        lp = p.logpdf(x)
        terms, infinite = _weighted(lp, g(x, lp))
        return (math.inf if infinite else float(math.fsum(terms))), 0.0, x.size
    use_sf = has_logsf(p)
    total, n, start, block = 0.0, 0, lo, 256
    parts: list[float] = []
    lps: list[float] = []
    while True:
        x = np.arange(start, start + block)
        lp = p.logpdf(x)
        gx = g(x, lp)
        terms, infinite = _weighted(lp, gx)
        if infinite:
            return math.inf, 0.0, n + x.size
        parts.append(math.fsum(terms))
        n += x.size
        total = math.fsum(parts)
        lps.append(float(logsumexp(lp)))
        if use_sf:
            with np.errstate(divide="ignore"):
                tail = float(np.exp(p.logsf(np.asarray(x[-1]))))
        else:
            tail = max(0.0, -math.expm1(float(logsumexp(lps))))
        g_last = float(np.abs(gx[-1])) if np.isfinite(gx[-1]) else 0.0
        tail_err = tail * max(1.0, g_last)  # ~ the contribution of the mass beyond the cut-off
        target = rtol * max(1.0, abs(total))
        if start + block > hi:  # reached the end of a (large) finite support
            return total, 0.0, n
        if tail_err <= target and abs(parts[-1]) <= target:
            return total, tail_err, n
        if n >= MAX_TERMS:
            warnings.warn(
                f"{p.family.title}: the exact sum stopped after {n} terms with tail "
                f"contribution ~{tail_err:.3g}; the reported error says so. Try method='mc'.",
                ConvergenceWarning, stacklevel=4)
            return total, tail_err, n
        start += block
        block = min(2 * block, MAX_TERMS)
        if math.isfinite(hi):
            block = int(min(block, hi - start + 1))


_TAIL = 1e-6
_QUANTILES = np.array([_TAIL, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0 - _TAIL])


def _breakpoints(p: Distribution, lo: float, hi: float) -> tuple[list[float], bool]:
    """Points that split p's support so that quad sees where the mass is.

    Returns ``(points, tails_by_quantile)``: with a quantile function the points are
    ``ppf`` of :data:`_QUANTILES` and the two outer pieces are integrated over the
    probability scale instead (see :func:`_quad_member`).
    """
    pts: np.ndarray | None = None
    try:
        with np.errstate(all="ignore"):
            pts = np.asarray(p.ppf(_QUANTILES), dtype=float)
        if np.all(np.isfinite(pts)) and np.all(np.diff(pts) > 0) and lo < pts[0] \
                and pts[-1] < hi:
            return [lo, *map(float, pts), hi], True
    except NotImplementedForFamily:
        try:
            m, s = float(p.mean), float(p.std)
            pts = m + s * np.array([-8.0, -3.0, -1.0, 0.0, 1.0, 3.0, 8.0])
        except (NotImplementedForFamily, TypeError, ValueError):
            pts = None
    if pts is None:
        return [lo, hi], False
    inner = sorted({float(v) for v in np.ravel(pts) if np.isfinite(v) and lo < v < hi})
    return [lo, *inner, hi], False


def _quad_member(p: Distribution, g: Integrand, rtol: float) -> tuple[float, float, int]:
    """∫ p(x) g(x) dx over p's support by adaptive quadrature (scipy.integrate.quad), piecewise
    between quantiles of p; the error is the sum of quad's error estimates.

    When p has a usable quantile function F⁻¹ the integral is taken on the probability
    scale, ∫₀¹ g(F⁻¹(u)) du, split at the quantiles 1e-6, 0.01, 0.25, 0.5, 0.75, 0.99,
    1 − 1e-6: the integrand then has at most logarithmic end-point singularities, so heavy
    tails (Cauchy) and density poles (Gamma with shape < 1, Beta with a < 1) stay
    accurate. Otherwise it integrates p(x) g(x) over x between rough landmarks.
    """
    from scipy.integrate import IntegrationWarning, quad

    lo, hi, known = support_bounds(p)
    lo, hi = float(lo), float(hi)
    flag = {"inf": False, "n": 0}

    def _pointwise_inf() -> float:
        # q (or p) vanishes at an interior point where p has density. With readable
        # supports, already checked to be nested, this is an isolated zero of q (e.g. a
        # Beta density at an end point reached by rounding): skip the point and let quad
        # judge integrability. With unreadable supports it is the only evidence that p
        # is not absolutely continuous w.r.t. q: the divergence is +inf.
        if not known:
            flag["inf"] = True
        return 0.0

    def f(t: float) -> float:
        x = np.asarray(t, dtype=float)
        if not lo < t < hi:  # the ends of the support have measure zero
            return 0.0
        lp = p.logpdf(x)
        flag["n"] += 1
        w = float(np.exp(lp))
        if w == 0.0:  # p(x) underflows: no contribution (see _weighted)
            return 0.0
        gx = float(g(x, lp))
        if gx == math.inf:
            return _pointwise_inf()
        return w * gx

    def f_u(u: float) -> float:
        with np.errstate(all="ignore"):
            x = np.asarray(p.ppf(np.asarray(u, dtype=float)), dtype=float)
        if not (np.isfinite(x) and lo < float(x) < hi):
            return 0.0  # a quantile rounded onto the end of the support: measure zero
        lp = p.logpdf(x)
        flag["n"] += 1
        if not lp > -np.inf:
            return 0.0
        gx = float(g(x, lp))
        if gx == math.inf:
            return _pointwise_inf()
        return gx

    pts, by_quantile = _breakpoints(p, lo, hi)
    if by_quantile:  # integrate on the probability scale between the quantiles
        us = [0.0, *map(float, _QUANTILES), 1.0]
        pieces = [(f_u, a, b) for a, b in itertools.pairwise(us)]
    else:
        pieces = [(f, a, b) for a, b in itertools.pairwise(pts)]
    total, err = 0.0, 0.0
    msgs = []
    for fn, a, b in pieces:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", IntegrationWarning)
            v, e = quad(fn, a, b, epsabs=1e-14, epsrel=rtol, limit=200)
        msgs += [str(w.message).strip().splitlines()[0] for w in caught
                 if issubclass(w.category, IntegrationWarning)]
        total += v
        err += e
    for a in p.family.atoms:
        # a point mass of a mixed distribution (Tweedie's P(Y = 0)): logpdf there is the
        # log of the mass, and the integral above skips the point (measure zero)
        xa = np.asarray(float(a))
        lpa = p.logpdf(xa)
        if lpa > -np.inf:
            ga = float(g(xa, lpa))
            if ga == math.inf:
                return math.inf, 0.0, flag["n"]
            total += float(np.exp(lpa)) * ga
    if flag["inf"]:
        return math.inf, 0.0, flag["n"]
    if by_quantile:
        # the mass within one floating-point step of a finite end of the support cannot be
        # reached through F⁻¹ (x rounds onto the end): add its first-order contribution and
        # count it in the error (matters only for density poles at an end, e.g. Beta(a<1))
        for edge, toward in ((hi, -math.inf), (lo, math.inf)):
            if not math.isfinite(edge):
                continue
            xe = np.asarray(np.nextafter(edge, toward))
            try:
                with np.errstate(all="ignore"):
                    mass = float(np.exp(p.logsf(xe))) if toward < 0 else float(p.cdf(xe))
                    lpe = p.logpdf(xe)
                    ge = float(g(xe, lpe))
            except NotImplementedForFamily:
                continue
            if np.isfinite(mass) and np.isfinite(ge) and mass > 0:
                total += mass * ge
                err += abs(mass * ge)
    if any("diverg" in m for m in msgs) and err > max(1.0, abs(total)):
        # quad says the integral is probably divergent and its own error estimate exceeds
        # the value: the expectation is infinite (e.g. Cauchy against a Normal, where
        # E[X²] = inf). Say so rather than return a meaningless finite number.
        warnings.warn(
            f"quadrature for {p!r} diverges (error estimate {err:.3g} > value {total:.3g}); "
            "reporting +inf", ConvergenceWarning, stacklevel=4)
        return math.inf, 0.0, flag["n"]
    # quad is often pessimistic ("roundoff error detected") at tight tolerances; warn only
    # when its own error estimate is too large to ignore, or the integral may diverge
    if msgs and (err > 1e-6 * max(1.0, abs(total)) or any("diverg" in m for m in msgs)):
        warnings.warn(
            f"quadrature for {p!r} may be inaccurate ({msgs[0]}); the reported error "
            f"estimate is {err:.3g}. Try method='mc' to cross-check.",
            ConvergenceWarning, stacklevel=4)
    return total, err, flag["n"]


def _mc(p: Distribution, g_batch: Integrand, shape: tuple[int, ...], n_samples: int,
        seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo mean of g(X), X ~ p, and its standard error, for a whole batch at once
    (in chunks of samples to bound memory)."""
    rng = np.random.default_rng(seed)
    members = max(1, int(np.prod(shape)))
    chunk = max(1, min(n_samples, 4_000_000 // members))
    s1 = np.zeros(shape)
    s2 = np.zeros(shape)
    infinite = np.zeros(shape, dtype=bool)
    done = 0
    shift = np.zeros(shape)
    first = True
    while done < n_samples:
        m = min(chunk, n_samples - done)
        x = p.sample((m,), rng)
        lp = p.logpdf(x)
        gx = g_batch(x, lp)
        infinite |= np.any(gx == np.inf, axis=0)
        gx = np.where(np.isfinite(gx), gx, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            if first:  # shift by the first chunk's mean: a stable running variance
                shift, first = gx.mean(axis=0), False
            d = gx - shift
            s1 += d.sum(axis=0)
            s2 += (d * d).sum(axis=0)
        done += m
    with np.errstate(over="ignore", invalid="ignore"):
        mean_d = s1 / n_samples
        var = np.maximum(s2 / n_samples - mean_d**2, 0.0) * n_samples / max(n_samples - 1, 1)
        value = np.where(infinite, np.inf, shift + mean_d)
        se = np.where(infinite, 0.0, np.sqrt(var / n_samples))
    lost = ~infinite & ~(np.isfinite(value) & np.isfinite(se))
    if lost.any():
        warnings.warn(
            f"Monte Carlo for {p!r}: the integrand reaches the float limit (~1e308), so the "
            f"sample mean or its standard error overflowed ({int(lost.sum())} of "
            f"{lost.size} members; value {float(np.ravel(value[lost])[0]):g}, standard error "
            f"{float(np.ravel(se[lost])[0]):g}). Rescale the distributions or use "
            "method='closed form' / 'quad'.", NumericalWarning, stacklevel=4)
    return value, se


# ====================================================================== dispatch
def _numeric(p: Distribution, shape: tuple[int, ...], method: str,
             make_g: MakeIntegrand, finite_mask: np.ndarray,
             quantity: str, rtol: float, n_samples: int, seed: int | None,
             notes: tuple[str, ...]) -> DivergenceResult:
    """Run a fallback method over a batch; members where ``finite_mask`` is False are +inf."""
    fam = p.family
    if method == "auto":
        if fam.discrete:
            method = "exact"
        elif fam.event_ndim == 0 and support_bounds(p)[2]:
            method = "quad"
        else:
            method = "mc"
    if method == "exact" and not fam.discrete:
        raise NotImplementedForFamily(
            f"method 'exact' sums over a discrete support; {fam.title} is continuous "
            "(use 'quad' or 'mc')")
    if method == "quad" and (fam.discrete or fam.event_ndim):
        kind = "discrete (use 'exact')" if fam.discrete else "multivariate (use 'mc')"
        raise NotImplementedForFamily(f"method 'quad' integrates over the real line; "
                                      f"{fam.title} is {kind}")
    pb = broadcast_dist(p, shape)
    value = np.full(shape, np.inf)
    error = np.zeros(shape)
    if method == "mc":
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**32))
        v, se = _mc(pb, make_g(None), shape, int(n_samples), seed)
        value = np.where(finite_mask, v, np.inf)
        error = np.where(finite_mask, se, 0.0)
        return DivergenceResult(value, "mc", error, quantity, n_samples=int(n_samples),
                                seed=seed, notes=notes)
    engine = _exact_member if method == "exact" else _quad_member
    n_eval = 0
    for idx in np.ndindex(*shape):
        if not finite_mask[idx]:
            continue
        pm = member(pb, idx)
        v, e, n = engine(pm, make_g(idx), rtol)
        value[idx], error[idx] = v, e
        n_eval += n
    return DivergenceResult(value, method, error, quantity, n_evaluations=n_eval, notes=notes)


def _absolutely_continuous(p: Distribution, q: Distribution,
                           shape: tuple[int, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Members where p ≪ q is possible (False: KL = +inf for sure), with notes."""
    if p.family.discrete != q.family.discrete:
        kinds = ("discrete", "continuous") if p.family.discrete else ("continuous", "discrete")
        return np.zeros(shape, dtype=bool), (
            f"KL = +inf: p ({p.family.title}) is {kinds[0]} and q ({q.family.title}) is "
            f"{kinds[1]}, so p is not absolutely continuous with respect to q",)
    extra = sorted(set(p.family.atoms) - set(q.family.atoms))
    if extra and not p.family.discrete and not q.family.discrete:
        return np.zeros(shape, dtype=bool), (
            f"KL = +inf: p ({p.family.title}) puts a point mass at "
            f"{', '.join(f'{a:g}' for a in extra)}, where q ({q.family.title}) has only a "
            "density (probability 0), so p is not absolutely continuous with respect to q",)
    ok = support_within(p, q)
    if p.family.discrete:
        # finite supports are checked point by point by the exact sum; only an unbounded
        # p against a q bounded above is decided here
        _, hp, _ = support_bounds(p)
        _, hq, _ = support_bounds(q)
        lo_ok = support_bounds(p)[0] >= support_bounds(q)[0]
        ok = np.broadcast_to(lo_ok & ~(np.isinf(hp) & np.isfinite(hq)), shape)
    ok = np.array(np.broadcast_to(ok, shape))
    notes: tuple[str, ...] = ()
    if not ok.all():
        notes = ("KL = +inf where the support of p is not inside the support of q "
                 "(q gives zero density where p has mass)",)
    return ok, notes


MakeIntegrand = Callable[[tuple[int, ...] | None], Integrand]


def _kl_integrand(q: Distribution, shape: tuple[int, ...]) -> MakeIntegrand:
    """g = log p − log q (+inf where q(x) = 0 < p(x)), for the batch (idx None) or a member."""
    qb = broadcast_dist(q, shape)

    def make_g(idx):
        qd = qb if idx is None else member(qb, idx)

        def g(x, lp):
            with np.errstate(divide="ignore"):
                lq = qd.logpdf(x)
            with np.errstate(invalid="ignore"):
                return np.where(lp > -np.inf, np.where(lq == -np.inf, np.inf, lp - lq), 0.0)
        return g

    return make_g


def _cross_integrand(q: Distribution, shape: tuple[int, ...]) -> MakeIntegrand:
    """g = −log q (+inf where q(x) = 0 < p(x))."""
    qb = broadcast_dist(q, shape)

    def make_g(idx):
        qd = qb if idx is None else member(qb, idx)

        def g(x, lp):
            with np.errstate(divide="ignore"):
                lq = qd.logpdf(x)
            return np.where(lp > -np.inf, -lq, 0.0)
        return g

    return make_g


def _entropy_integrand(idx: tuple[int, ...] | None) -> Integrand:
    """g = −log p."""
    def g(x, lp):
        return np.where(lp > -np.inf, -lp, 0.0)
    return g


class _FloatFlags:
    """Records the floating-point conditions NumPy reports (via ``np.errstate(call=…)``)."""

    def __init__(self) -> None:
        self.kinds: set[str] = set()

    def __call__(self, kind: str, flag: int) -> None:
        self.kinds.add(kind)


def _closed_form_kl(p: Distribution, q: Distribution, shape: tuple[int, ...]
                    ) -> tuple[np.ndarray, set[str]] | None:
    """The registered closed form (None without one) and the floating-point conditions
    ('overflow', 'invalid') it ran into; division by zero is the legitimate +inf of a
    support mismatch (log(p/0)) and is not recorded."""
    fn = lookup_kl(p.family, q.family)
    if fn is None:
        return None
    flags = _FloatFlags()
    try:
        with np.errstate(divide="ignore", under="ignore", over="call", invalid="call",
                         call=flags):
            out = np.asarray(fn(p.params, q.params), dtype=float)
    except NotImplementedForFamily:
        return None  # a generic closed form that needs a moment this family lacks
    if out.shape != shape:
        out = np.array(np.broadcast_to(out, shape))
    return out, flags.kinds


#: why an overflowed closed form is reported as +inf
_OVERFLOW_NOTE = ("too large for a float: the closed form overflowed (the divergence exceeds "
                  "~1.8e308 at these parameters)")


def _checked_closed_form(found: tuple[np.ndarray, set[str]], p: Distribution,
                         q: Distribution | None, shape: tuple[int, ...], label: str,
                         method: str, rtol: float, n_samples: int,
                         seed: int | None, explain: bool = True) -> DivergenceResult:
    """A closed-form KL (or, with ``q=None``, entropy) that is never silently wrong.

    * NaN (an ``inf − inf`` or ``0 · inf`` inside the formula at extreme parameters), and
      for the entropy any non-finite value after a floating-point overflow, division by
      zero or invalid operation: with ``method="auto"`` those members are recomputed
      numerically (the note says so); with ``method="closed form"`` they are kept with a
      :class:`~mlekit.errors.NumericalWarning`.
    * KL = +inf after an overflow where p ≪ q: reported as +inf with a NumericalWarning
      and a note (the true value is finite but beyond the float range).
    """
    value, kinds = found
    value = np.array(value, dtype=float)
    notes: list[str] = []
    overflowed = np.zeros(shape, dtype=bool)
    if q is not None and "overflow" in kinds:
        ok, _ = _absolutely_continuous(p, q, shape)
        overflowed = np.isposinf(value) & ok
    bad = np.isnan(value)
    if q is None and kinds:
        bad |= ~np.isfinite(value)
    what = f"{label} for {p!r}" + (f" and {q!r}" if q is not None else "")
    if bad.any() and method == "auto":
        where = _members(bad, shape)
        pb = broadcast_dist(p, shape)
        qb = broadcast_dist(q, shape) if q is not None else None
        used = set()
        for idx in (list(np.ndindex(*shape)) if shape else [()]):
            if not bad[idx]:
                continue
            pm = member(pb, idx)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                with np.errstate(all="ignore"):
                    if qb is None:
                        r = _numeric(pm, (), "auto", _entropy_integrand,
                                     np.ones((), dtype=bool), label, rtol, n_samples, seed, ())
                    else:
                        qm = member(qb, idx)
                        r = _fallback(pm, qm, (), "auto", _kl_integrand(qm, ()), label,
                                      rtol, n_samples, seed)
            value[idx] = float(r.value)
            used.add(r.method)
        notes.append(f"the closed form lost precision at {where} (floating-point "
                     f"{'/'.join(sorted(kinds)) or 'cancellation'}); recomputed there by "
                     f"{', '.join(sorted(used))}")
        bad = np.isnan(value) | (~np.isfinite(value) if q is None else False)
    if bad.any():
        warnings.warn(
            f"{what}: the closed form hit a floating-point "
            f"{'/'.join(sorted(kinds)) or 'NaN'} at {_members(bad, shape)}, so the value "
            f"there ({', '.join(f'{v:g}' for v in value[bad][:3])}) is doubtful; "
            "use method='auto' for a numeric value", NumericalWarning, stacklevel=4)
    if overflowed.any():
        warnings.warn(f"{what} at {_members(overflowed, shape)} is {_OVERFLOW_NOTE}; "
                      "reported as inf", NumericalWarning, stacklevel=4)
    res = DivergenceResult(value, "closed form", 0.0, label, notes=tuple(notes))
    if q is None or not explain:
        return res
    return _explained(res, p, q, shape, overflowed)


def _closed_form_entropy(p: Distribution, shape: tuple[int, ...]
                         ) -> tuple[np.ndarray, set[str]] | None:
    """The family's closed-form entropy (None without one) and the floating-point
    conditions it ran into."""
    flags = _FloatFlags()
    try:
        with np.errstate(all="call", under="ignore", call=flags):
            h = np.asarray(p.entropy(), dtype=float)
    except NotImplementedForFamily:
        return None
    return np.array(np.broadcast_to(h, shape)), flags.kinds


def _members(mask: np.ndarray, shape: tuple[int, ...]) -> str:
    if not shape:
        return "these parameters"
    idxs = [i for i in np.ndindex(*shape) if mask[i]]
    shown = ", ".join(f"[{', '.join(map(str, i))}]" for i in idxs[:5])
    return f"batch member{'s' if len(idxs) > 1 else ''} {shown}{' …' if len(idxs) > 5 else ''}"


# ====================================================================== public API

def _fallback(p, q, shape, method, integrand, label, rtol, n_samples, seed) -> DivergenceResult:
    """The numeric path shared by KL and cross-entropy: +inf wherever p is not absolutely
    continuous w.r.t. q, otherwise exact sums, quadrature or Monte Carlo of ``integrand``."""
    ok, _ = _absolutely_continuous(p, q, shape)
    if not ok.any():
        res = DivergenceResult(np.full(shape, np.inf), method if method != "auto" else "exact",
                               0.0, label)
    else:
        res = _numeric(p, shape, method, integrand, ok, label, rtol, n_samples, seed, ())
    return _explained(res, p, q, shape)


#: at most this many infinite members of a batch are explained one by one
_MAX_EXPLAINED = 5


def _explained(res: DivergenceResult, p: Distribution, q: Distribution,
               shape: tuple[int, ...], overflowed: np.ndarray | None = None
               ) -> DivergenceResult:
    """``res`` with a note saying why each infinite member is infinite (see
    :func:`~mlekit.divergence._support.explain_infinite`); ``overflowed`` marks members
    that are +inf only because the closed form overflowed."""
    value = np.asarray(res.value, dtype=float)
    inf = np.isposinf(value)
    if not inf.any():
        return res
    label = "KL" if res.quantity.startswith("KL") else "H"
    pb, qb = broadcast_dist(p, shape), broadcast_dist(q, shape)
    idxs = [i for i in np.ndindex(*shape) if inf[i]] if shape else [()]
    notes = []
    for idx in idxs[:_MAX_EXPLAINED]:
        pm, qm = member(pb, idx), member(qb, idx)
        if overflowed is not None and overflowed[idx]:
            why = (f"{'KL' if label == 'KL' else 'H'}({pm!r} ‖ {qm!r}) = inf: "
                   f"{_OVERFLOW_NOTE}")
        else:
            why = explain_infinite(pm, qm, label)
        notes.append(f"[{', '.join(map(str, idx))}] {why}" if idx else why)
    if len(idxs) > _MAX_EXPLAINED:
        notes.append(f"… and {len(idxs) - _MAX_EXPLAINED} more infinite members")
    return replace(res, notes=(*res.notes, *notes))

def kl(p: Distribution | str, q: Distribution | str, method: str = "auto", *,
       rtol: float = 1e-10, n_samples: int = 100_000, seed: int | None = None,
       ) -> DivergenceResult:
    r"""Kullback–Leibler divergence KL(p ‖ q) = E_p[log p(X) − log q(X)], in nats.

    .. math:: \mathrm{KL}(p\,\|\,q) = \int p(x)\,\bigl(\log p(x) - \log q(x)\bigr)\,dx
              \quad(\text{a sum for discrete } p)

    The **first** argument is the distribution the expectation is taken under
    (the "true" or data distribution); KL is not symmetric.

    Parameters
    ----------
    p, q : Distribution or str
        Frozen members (or batches, which broadcast like NumPy), e.g.
        ``mk.Normal(0, 1)``, or specs like ``"normal(mu=0, sigma=1)"``.
    method : {"auto", "closed form", "exact", "quad", "mc"}
        ``"auto"`` uses the registered closed form for the pair of families if
        there is one, else an exact sum (discrete p), else quadrature
        (one-dimensional continuous p), else Monte Carlo.
    rtol : float
        Relative tolerance of quadrature and of the tail of countable sums.
    n_samples : int
        Monte Carlo sample size per batch member.
    seed : int, optional
        Monte Carlo seed (a fresh one is drawn and reported in ``result.seed`` if None).

    Returns
    -------
    DivergenceResult
        ``float(result)``, ``result.value`` (array for batches), ``result.method``,
        ``result.error`` (0 for closed forms, a tail bound, quad's estimate, or the MC
        standard error). ``+inf`` where p is not absolutely continuous w.r.t. q.

    Examples
    --------
    >>> import mlekit as mk
    >>> from mlekit.divergence import kl
    >>> r = kl(mk.Normal(0, 1), mk.Normal(1, 2))   # log 2 + 2/8 - 1/2
    >>> round(float(r), 6), r.method
    (0.443147, 'closed form')
    """
    p = as_distribution(p, "p")
    q = as_distribution(q, "q")
    method = _method_name(method)
    rtol, n_samples, seed = _check_options(rtol, n_samples, seed)
    shape = check_compatible(p, q)
    if method in ("auto", "closed form"):
        found = _closed_form_kl(p, q, shape)
        if found is not None:
            return _checked_closed_form(found, p, q, shape, "KL(p || q)", method, rtol,
                                        n_samples, seed)
        if method == "closed form":
            raise NotImplementedForFamily(
                f"no closed-form KL({p.family.title} || {q.family.title}) is registered; "
                "use method='auto' (exact sum, quadrature or Monte Carlo)")
    return _fallback(p, q, shape, method, _kl_integrand(q, shape), "KL(p || q)",
                     rtol, n_samples, seed)


def entropy(p: Distribution | str, method: str = "auto", *, rtol: float = 1e-10,
            n_samples: int = 100_000, seed: int | None = None) -> DivergenceResult:
    r"""Entropy H(p) = −E_p[log p(X)] in nats (Shannon for discrete p, differential otherwise).

    ``method="auto"`` uses the family's closed-form entropy when it has one, else
    an exact sum, quadrature or Monte Carlo (as for :func:`kl`). Batches give
    arrays.

    Examples
    --------
    >>> import mlekit as mk
    >>> from mlekit.divergence import entropy
    >>> round(float(entropy(mk.Bernoulli(0.5))), 6)   # log 2
    0.693147
    """
    p = as_distribution(p, "p")
    method = _method_name(method)
    rtol, n_samples, seed = _check_options(rtol, n_samples, seed)
    shape = p.batch_shape
    if method in ("auto", "closed form"):
        found = _closed_form_entropy(p, shape)
        if found is not None:
            return _checked_closed_form(found, p, None, shape, "H(p)", method, rtol,
                                        n_samples, seed)
        if method == "closed form":
            raise NotImplementedForFamily(f"{p.family.title} has no closed-form entropy; "
                                          "use method='auto'")
    return _numeric(p, shape, method, _entropy_integrand,
                    np.ones(shape, dtype=bool), "H(p)", rtol, n_samples, seed, ())


def cross_entropy(p: Distribution | str, q: Distribution | str, method: str = "auto", *,
                  rtol: float = 1e-10, n_samples: int = 100_000,
                  seed: int | None = None) -> DivergenceResult:
    r"""Cross-entropy H(p, q) = −E_p[log q(X)] = H(p) + KL(p ‖ q), in nats.

    The expectation is under the **first** argument p; ``q`` is the model. The
    mean negative log-likelihood of data under a model is the cross-entropy of
    the empirical distribution and the model (see :func:`kl_decomposition`).

    ``method="auto"`` adds the closed-form entropy and closed-form KL when both
    exist, else computes −E_p[log q] directly by an exact sum, quadrature or
    Monte Carlo. ``+inf`` where p is not absolutely continuous w.r.t. q.

    Examples
    --------
    >>> import mlekit as mk
    >>> from mlekit.divergence import cross_entropy
    >>> h = cross_entropy(mk.Normal(0, 1), mk.Normal(1, 2))
    >>> round(float(h), 6)   # H(p) + KL(p || q)
    1.862086
    """
    p = as_distribution(p, "p")
    q = as_distribution(q, "q")
    method = _method_name(method)
    rtol, n_samples, seed = _check_options(rtol, n_samples, seed)
    shape = check_compatible(p, q)
    if method in ("auto", "closed form"):
        found = _closed_form_kl(p, q, shape)
        found_h = _closed_form_entropy(p, shape) if found is not None else None
        if found is not None and found_h is not None:
            klr = _checked_closed_form(found, p, q, shape, "KL(p || q)", method, rtol,
                                       n_samples, seed, explain=False)
            hr = _checked_closed_form(found_h, p, None, shape, "H(p)", method, rtol,
                                      n_samples, seed)
            with np.errstate(invalid="ignore", over="ignore"):
                total = np.where(np.isinf(klr.value), np.inf,
                                 np.asarray(hr.value) + np.asarray(klr.value))
            overflowed = np.zeros(shape, dtype=bool)
            if "overflow" in found[1]:
                overflowed = np.isposinf(total) & _absolutely_continuous(p, q, shape)[0]
            return _explained(DivergenceResult(total, "closed form", 0.0, "H(p, q)",
                                               notes=(*hr.notes, *klr.notes)),
                              p, q, shape, overflowed)
        if method == "closed form":
            raise NotImplementedForFamily(
                f"no closed-form cross-entropy for ({p.family.title}, {q.family.title}): "
                "it needs a registered KL and the entropy of p; use method='auto'")
    return _fallback(p, q, shape, method, _cross_integrand(q, shape), "H(p, q)",
                     rtol, n_samples, seed)
