"""Shared pieces of the specialised maximum-likelihood solvers of the family files.

Private to :mod:`mlekit.families`. Everything here works on plain NumPy arrays:

* :func:`prepare` — flatten data and weights, check them, total weight;
* :func:`check_fixed` — validate a ``fixed={...}`` mapping against a family;
* :func:`root_bracketed` — a safeguarded Newton iteration for a monotone scalar
  equation (Newton inside a bracket, bisection whenever Newton would leave it,
  so it always converges; cf. ``rtsafe`` in Numerical Recipes);
* :func:`damped_newton` — Newton's method for a smooth objective with a
  Levenberg-type shift when the Hessian is not positive definite and a
  backtracking line search, so every step decreases the objective;
* :func:`weighted_median`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.special import zeta

from ..errors import DataError, ParameterError

__all__ = [
    "MLEstimate",
    "all_equal",
    "check_fixed",
    "damped_newton",
    "information_matrix",
    "pow2_scale",
    "prepare",
    "root_bracketed",
    "scale_only_information",
    "scaled_covariance",
    "scaled_information",
    "scaled_mean_square",
    "scaled_moments",
    "solver_extras",
    "subsample",
    "sum_sq_dev",
    "trigamma",
    "weighted_median",
    "wsum",
]


def prepare(x: Any, weights: Any = None, what: str = "x") -> tuple[np.ndarray, np.ndarray | None,
                                                                    float]:
    """Return ``(x, w, total_weight)`` with ``x`` a flat float array and ``w`` flat or None."""
    x = np.asarray(x, dtype=float).ravel()
    if x.size == 0:
        raise DataError(f"{what} is empty: at least one observation is needed")
    if weights is None:
        return x, None, float(x.size)
    w = np.broadcast_to(np.asarray(weights, dtype=float), x.shape).ravel()
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise DataError("weights must be finite and >= 0")
    total = float(w.sum())
    if total <= 0:
        raise DataError("weights sum to zero: no observation carries weight")
    if np.all(w == 1.0):
        return x, None, total
    return x, w, total


def trigamma(x: Any) -> Any:
    """ψ'(x), elementwise: the Hurwitz zeta function ζ(2, x).

    The same values as ``scipy.special.polygamma(1, x)``, which computes
    ``(-1)**2 · 1! · ζ(2, x)`` through a Python wrapper several times slower than
    this one ufunc call (it matters in the scalar Newton loops of the solvers).
    """
    return zeta(2.0, x)


def all_equal(x: np.ndarray, w: np.ndarray | None = None) -> bool:
    """True when every observation with positive weight has the same value."""
    if w is not None:
        x = x[w > 0]
    return bool(x.size == 0 or np.all(x == x[0]))


def wsum(w: np.ndarray | None, a: np.ndarray) -> float:
    """Σ w_i a_i (plain sum when ``w`` is None)."""
    if w is None:
        return float(np.sum(a))
    return float(np.multiply(w, a).sum())  # not BLAS dot: no thread start-up cost


def check_fixed(family: Any, fixed: Mapping[str, Any] | None) -> dict[str, float]:
    """Validate ``fixed`` names and domains; return a dict of floats."""
    out: dict[str, float] = {}
    for name, value in dict(fixed or {}).items():
        p = family.parameter(name)  # raises ParameterError naming the family's parameters
        arr = p.domain.check(value, what=name, owner=family.title, error=ParameterError)
        if arr.ndim:
            raise ParameterError(f"{family.title}: fixed {name} must be a single number")
        out[name] = float(arr)
    return out


def subsample(x: np.ndarray, w: np.ndarray | None, n: int = 20_000):
    """A deterministic, evenly strided subsample (for cheap starting values)."""
    if x.size <= 2 * n:
        return x, w
    step = x.size // n
    return x[::step], (None if w is None else w[::step])


def weighted_median(x: np.ndarray, w: np.ndarray | None = None) -> float:
    """A minimiser of Σ w_i |x_i − m| (the lower weighted median; ``np.median`` unweighted)."""
    if w is None:
        return float(np.median(x))
    keep = w > 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    xs, cw = x[order], np.cumsum(w[order])
    half = 0.5 * cw[-1]
    i = int(np.searchsorted(cw, half, side="left"))
    if np.isclose(cw[i], half, rtol=1e-14, atol=0.0) and i + 1 < xs.size:
        return float(0.5 * (xs[i] + xs[i + 1]))  # a flat stretch: its midpoint
    return float(xs[i])


def root_bracketed(f: Callable[[float], tuple[float, float]], lo: float, hi: float,
                   x0: float | None = None, xtol: float = 1e-13, maxiter: int = 200,
                   what: str = "equation") -> float:
    """Root of a function with a sign change on ``[lo, hi]``, by safeguarded Newton.

    ``f(t)`` returns ``(value, derivative)``. A Newton step is taken when it stays
    strictly inside the current bracket and shrinks it fast enough; otherwise the
    bracket is bisected. The bracket always contains the root, so the iteration
    converges for any continuous ``f``.
    """
    flo, _ = f(lo)
    fhi, _ = f(hi)
    if flo == 0.0:
        return lo
    if fhi == 0.0:
        return hi
    if np.sign(flo) == np.sign(fhi):
        raise DataError(f"no root of the {what} in [{lo:g}, {hi:g}]: the MLE does not exist")
    t = 0.5 * (lo + hi) if x0 is None or not (lo < x0 < hi) else float(x0)
    width_old = hi - lo
    for _ in range(maxiter):
        ft, dft = f(t)
        if ft == 0.0:
            return t
        if np.sign(ft) == np.sign(flo):
            lo, flo = t, ft
        else:
            hi = t
        step_ok = False
        if np.isfinite(dft) and dft != 0.0 and np.isfinite(ft):
            t_new = t - ft / dft
            if lo < t_new < hi and abs(t_new - t) < 0.5 * width_old:
                step_ok = True
        if not step_ok:
            t_new = 0.5 * (lo + hi)
        width_old = abs(t_new - t) if step_ok else (hi - lo)
        if abs(t_new - t) <= xtol * max(1.0, abs(t_new)) or hi - lo <= xtol * max(1.0, abs(t)):
            return float(t_new)
        t = t_new
    return float(t)


def damped_newton(fun: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
                  theta0: np.ndarray, gtol: float = 1e-16, maxiter: int = 200,
                  objective: Callable[[np.ndarray], float] | None = None,
                  bounds: tuple[np.ndarray, np.ndarray] | None = None,
                  ) -> tuple[np.ndarray, bool]:
    """Minimise a smooth function by Newton's method with safeguards.

    ``fun(θ)`` returns ``(f, gradient, Hessian)``; ``objective(θ)`` (default: the
    first output of ``fun``) is used by the line search. Steps: (1) gradient and
    Hessian; (2) if the Hessian is not positive definite, add ``λI`` until it is
    (Levenberg); (3) solve for the step; (4) try the full step with ``fun`` (one
    evaluation per iteration near the optimum), else halve it with the cheaper
    ``objective`` until ``f`` decreases and ``θ`` stays inside ``bounds``;
    (5) stop when the Newton decrement ``gᵀH⁻¹g`` (twice the predicted decrease
    of ``f``) is below ``gtol``, after taking that last, tiny step, or when no
    step decreases ``f`` (a numerical optimum). Returns ``(θ, converged)``.
    """
    obj = objective or (lambda t: fun(t)[0])
    theta = np.asarray(theta0, dtype=float).copy()
    k = theta.size
    lo_b, hi_b = bounds if bounds is not None else (np.full(k, -np.inf), np.full(k, np.inf))
    theta = np.clip(theta, lo_b, hi_b)
    f, g, h = fun(theta)
    if not np.isfinite(f):
        raise DataError("the starting values give a non-finite log-likelihood")
    converged = False
    for _ in range(maxiter):
        # active set: coordinates on a bound whose gradient pushes outwards stay there
        active = ((theta <= lo_b) & (g > 0)) | ((theta >= hi_b) & (g < 0))
        idx = np.flatnonzero(~active)
        step = np.zeros(k)
        if idx.size:
            hh, gg = h[np.ix_(idx, idx)], g[idx]
            lam = 0.0
            scale = max(float(np.max(np.abs(np.diag(hh)))), 1.0)
            chol = None
            while chol is None:
                try:
                    chol = np.linalg.cholesky(hh + lam * np.eye(idx.size))
                except np.linalg.LinAlgError:
                    lam = max(4.0 * lam, 1e-8 * scale)
                    if lam > 1e12 * scale:
                        chol = np.sqrt(scale) * np.eye(idx.size)
            step[idx] = -np.linalg.solve(chol.T, np.linalg.solve(chol, gg))
        else:
            lam = 0.0
        decrement = float(-g @ step)
        if not np.isfinite(decrement):
            break
        if lam == 0.0 and decrement < gtol:
            theta = np.clip(theta + step, lo_b, hi_b)
            converged = True
            break
        cand = np.clip(theta + step, lo_b, hi_b)
        fc, gc, hc = fun(cand)
        if np.isfinite(fc) and fc <= f - 1e-4 * decrement:
            theta, f, g, h = cand, fc, gc, hc
            continue
        t = 0.5
        accepted = False
        for _ in range(60):
            cand = np.clip(theta + t * step, lo_b, hi_b)
            if np.array_equal(cand, theta):
                break  # the step has shrunk to nothing
            fc = obj(cand)
            if np.isfinite(fc) and fc < f and fc <= f - 1e-4 * t * decrement:
                accepted = True
                break
            t *= 0.5
        if not accepted:
            # no decrease possible at machine precision: a numerical optimum
            converged = decrement < 1e-8
            break
        theta = cand
        f, g, h = fun(theta)
    return theta, converged


def newton_fit(family: Any, x: np.ndarray, w: np.ndarray | None, total: float,
               start: Mapping[str, float], fixed: Mapping[str, float],
               log_names: tuple[str, ...] = (),
               log_bounds: Mapping[str, tuple[float, float]] | None = None,
               derivs: Callable[..., tuple[float, dict, dict]] | None = None,
               nll: Callable[..., float] | None = None,
               big: int = 100_000) -> dict[str, float]:
    """Maximise Σ w log p(x; θ) by :func:`damped_newton` over the free parameters.

    By default the family's ``logpdf``, analytic ``score`` and ``hessian`` are
    summed; a family may pass ``derivs(x, w, total, **params) -> (mean NLL,
    {name: ∂}, {(a, b): ∂²})`` (derivatives of the mean NLL) and
    ``nll(x, w, total, **params)`` computed from a few sufficient sums instead
    (one pass over the data per Newton step). Parameters in ``log_names`` are
    optimised on the log scale (positivity for free); ``log_bounds`` bounds
    them there. On large samples an evenly strided subsample is solved first,
    so the full data see only the last (quadratically convergent) steps.
    """
    free = [n for n in family.param_names if n not in fixed]
    if not free:
        return dict(fixed)
    log_bounds = dict(log_bounds or {})
    lo = np.array([log_bounds.get(n, (-np.inf, np.inf))[0] if n in log_names else -np.inf
                   for n in free])
    hi = np.array([log_bounds.get(n, (-np.inf, np.inf))[1] if n in log_names else np.inf
                   for n in free])
    is_log = np.array([n in log_names for n in free])
    order = family.param_names

    def default_nll(xs, ws, tot, **p):
        return -wsum(ws, family.logpdf(xs, **p)) / tot

    def default_derivs(xs, ws, tot, **p):
        sc = family.score(xs, **p)
        hs = family.hessian(xs, **p)
        g = {n: -wsum(ws, sc[n]) / tot for n in free}
        h = {k: -wsum(ws, v) / tot for k, v in hs.items()
             if k[0] in free and k[1] in free}
        return default_nll(xs, ws, tot, **p), g, h

    nll = nll or default_nll
    derivs = derivs or default_derivs

    def to_theta(p):
        return np.array([np.log(p[n]) if n in log_names else p[n] for n in free], dtype=float)

    def solve(xs, ws, tot, p0):
        def unpack(theta):
            p = dict(fixed)
            for n, t, lg in zip(free, theta, is_log, strict=True):
                p[n] = float(np.exp(t)) if lg else float(t)
            return p

        def objective(theta):
            return nll(xs, ws, tot, **unpack(theta))

        def fun(theta):
            p = unpack(theta)
            f, gd, hd = derivs(xs, ws, tot, **p)
            k = len(free)
            g = np.array([gd[n] for n in free])
            h = np.empty((k, k))
            for i, a in enumerate(free):
                for j, b in enumerate(free[i:], start=i):
                    key = (a, b) if order.index(a) <= order.index(b) else (b, a)
                    h[i, j] = h[j, i] = hd[key]
            vals = np.array([p[n] for n in free])
            # chain rule for log-scale coordinates: d/du = θ d/dθ
            scale = np.where(is_log, vals, 1.0)
            h = h * np.outer(scale, scale) + np.diag(np.where(is_log, vals * g, 0.0))
            return f, g * scale, h

        th0 = np.clip(to_theta(p0), lo, hi)
        theta, _ = damped_newton(fun, th0, objective=objective, bounds=(lo, hi))
        return unpack(theta)

    p0 = {**dict(start), **dict(fixed)}
    if x.size > big:
        xs, ws = subsample(x, w)
        tot = float(xs.size) if ws is None else float(ws.sum())
        if tot > 0:
            p0 = solve(xs, ws, tot, p0)
    out = solve(x, w, total, p0)
    return {n: float(out[n]) for n in family.param_names}


def pow2_scale(v: float) -> float:
    """A power of two within a factor 2 of ``|v|`` (1.0 for 0, inf or NaN).

    Dividing data by it, and multiplying estimates back, is exact in binary floating
    point, so a fit on ``x / c`` maps back to ``x`` without a rounding error.
    """
    v = abs(float(v))
    if not (v > 0 and np.isfinite(v)):
        return 1.0
    return float(np.ldexp(1.0, int(np.frexp(v)[1]) - 1))


def scaled_moments(x: np.ndarray, w: np.ndarray | None, total: float,
                   center: float | None = None) -> tuple[float, float, float]:
    """``(mean, sd, c)`` of weighted data of any magnitude (1e±300), without overflow.

    ``c`` is a power of two near ``max |x|``; the sums run over ``x / c`` (entries in
    [−1, 1]), so neither they nor the squares overflow or underflow. ``center`` replaces
    the mean as the point the sd is taken about (a fixed location).
    """
    c = pow2_scale(float(np.max(np.abs(x))))
    u = x / c
    mean = c * (wsum(w, u) / total)
    m = mean if center is None else float(center)
    d = u - m / c
    return float(mean), float(c * np.sqrt(wsum(w, d * d) / total)), c


def scaled_information(family: Any, u: np.ndarray, w: np.ndarray | None,
                       params_u: Mapping[str, float], scale: float,
                       ) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """Observed information of a location-scale (or scale) family, in standardised units.

    ``u = (x − m)/c`` are the standardised data and ``params_u`` the estimates on them.
    Returns ``(info_u, scale)`` with ``info_u[(a, b)] = −Σ w ∂²log p(u)/∂a∂b`` and
    ``scale[name] = c``: the information on the data's own scale is
    ``info_u[(a, b)] / (c_a c_b)``, so standard errors are ``c · se_u`` — finite where
    the information itself under- or overflows (data near 1e±300).
    """
    h = family.hessian(u, **params_u)
    info = {k: -wsum(w, np.broadcast_to(np.asarray(v, float), u.shape)) for k, v in h.items()}
    return info, {n: float(scale) for n in family.param_names}


class MLEstimate(dict):
    """A family's MLE: the plain ``{name: value}`` dict of estimates, plus ``details``.

    It is a dict of parameters only, so ``family(**est)`` and ``family.score(x, **est)``
    work as for any dict; a specialised solver that ends with its sufficient statistics
    at hand puts what it knows in :attr:`details` (read by ``estimate.fit``):

    ``llf``
        the maximised log-likelihood ℓ(θ̂);
    ``information``
        the observed information −∂²ℓ/∂θ∂θᵀ as ``{(a, b): value}`` over the free
        parameters;
    ``information_u``
        the same as a matrix in the packer's unconstrained coordinates u, in the free
        parameters' order (for vector-valued parameters, e.g. a mixture's weights); used
        in place of the numerical Hessian when its size matches.

    ``estimate.fit`` then skips the passes over the data that would recompute them;
    the test suite holds both against the direct sums for every family that gives them.
    """

    def __init__(self, params: Mapping[str, Any], **details: Any):
        super().__init__(params)
        self.details: dict[str, Any] = details


def information_matrix(info: Mapping[tuple[str, str], float], names: list[str]
                       ) -> np.ndarray | None:
    """The matrix of ``{(a, b): value}`` over ``names`` (either key order), or None when a
    pair is missing."""
    out = np.empty((len(names), len(names)))
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            value = info.get((a, b), info.get((b, a)))
            if value is None:
                return None
            out[i, j] = float(value)
    return out


def solver_extras(llf: float, info: Mapping[tuple[str, str], float]) -> dict[str, Any]:
    """The ``details`` of an :class:`MLEstimate`: ``llf`` and ``information``, each given
    only when its values are finite (and the diagonal of the information non-zero), so
    extreme data fall back to the direct sums."""
    out: dict[str, Any] = {}
    if np.isfinite(llf):
        out["llf"] = float(llf)
    values = [float(v) for v in info.values()]
    diagonal = [abs(float(v)) for (a, b), v in info.items() if a == b]
    # a subnormal diagonal has lost its digits (data near 1e±300): leave it to the
    # family's scaled path
    tiny = np.finfo(float).tiny
    if values and all(np.isfinite(values)) and all(v >= tiny for v in diagonal):
        out["information"] = {key: float(v) for key, v in info.items()}
    return out


# np.vecdot (NumPy >= 2.0) takes one dot product per row in a single call (einsum before)
_rowdot = getattr(np, "vecdot", None) or (lambda a, b: np.einsum("ij,ij->i", a, b))


def sum_sq_dev(x: np.ndarray, center: float, w: np.ndarray | None = None,
               row: int = 1024, rows: int = 128) -> float:
    """Σ w (x − center)², block by block (no array-sized temporary).

    ``x`` is viewed as rows of ``row`` values; each block of ``rows`` rows is centred
    into a cache-sized buffer (1 MiB by default) and reduced by one dot product per row
    (BLAS), about twice as fast as squaring and summing. The rows are short: that keeps
    the rounding error of the dot products' running sums as small as that of NumPy's
    pairwise sum, and OpenBLAS runs them on the calling thread (it starts threads above
    10,000 entries, a cost per call). The last, partial row is done directly.
    """
    x = np.asarray(x, float).ravel()
    w = None if w is None else np.asarray(w, float).ravel()
    m = x.size // row
    head = x[: m * row].reshape(m, row)
    w_head = None if w is None else w[: m * row].reshape(m, row)
    buf = np.empty((min(rows, m), row))
    total = 0.0
    for i in range(0, m, rows):
        b = buf[: min(rows, m - i)]
        np.subtract(head[i:i + rows], center, out=b)
        if w_head is None:
            total += float(_rowdot(b, b).sum())
        else:
            np.multiply(b, b, out=b)
            total += float(_rowdot(b, w_head[i:i + rows]).sum())
    d = x[m * row:] - center
    return total + float(d @ d if w is None else (d * d) @ w[m * row:])


def scaled_covariance(info_u: Mapping[tuple[str, str], float], scale: Mapping[str, float],
                      names: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """``(cov, se, notes)`` of the free parameters ``names`` from a standardised information.

    ``info_u`` and ``scale`` are what a family's ``scaled_information`` returns. The
    inverse is taken in standardised units (well conditioned at any magnitude of the
    data); ``se = c · sqrt(diag(cov_u))`` is then finite wherever the standard error
    itself is, while ``cov = c cᵀ ∘ cov_u`` may round to inf or 0 (variances of data
    near 1e±300 are beyond the float range): the notes say so. ``None`` when the
    information is not positive definite (the caller's general path reports that).
    """
    k = len(names)
    info = information_matrix(info_u, names)
    if info is None or not np.all(np.isfinite(info)):
        return None
    try:
        chol = np.linalg.cholesky(0.5 * (info + info.T))
    except np.linalg.LinAlgError:
        return None
    inv = np.linalg.solve(chol, np.eye(k))
    cov_u = inv.T @ inv
    c = np.array([float(scale[n]) for n in names])
    with np.errstate(over="ignore", under="ignore"):
        cov = (cov_u * c[:, None]) * c[None, :]  # not c cᵀ first: inf · 0 would be NaN
        se = c * np.sqrt(np.diag(cov_u))
    notes: list[str] = []
    if not np.all(np.isfinite(cov) | (cov_u == 0)) or np.any((cov == 0) & (cov_u != 0)):
        notes.append("the variances are beyond the float range at this scale of the data "
                     "(cov holds them rounded to inf or 0); the standard errors are computed "
                     "directly, in units of the data")
    bad = [n for n, s in zip(names, se, strict=True) if not (0.0 < s < np.inf)]
    if bad:
        notes.append(f"the standard error of {', '.join(bad)} is beyond the float range "
                     "at this scale of the data (reported as inf or 0): rescale the data")
    return cov, se, notes


def scaled_mean_square(x: np.ndarray, w: np.ndarray | None, total: float) -> tuple[float, float]:
    """``(c, Σ w (x/c)² / W)`` with ``c`` a power of two near max |x|: the division is exact,
    and x² neither overflows (data near 1e300) nor underflows (near 1e-300), so that
    ``c·sqrt(mean square)`` is the root mean square at any magnitude."""
    c = pow2_scale(float(np.max(np.abs(x))))
    u = x / c
    return c, wsum(w, u * u) / total


def scale_only_information(family: Any, x: Any, weights: Any, params: Mapping[str, Any],
                           name: str = "sigma") -> Any:
    """``scaled_information`` for a family whose one parameter ``name`` is a pure scale:
    the observed information on x/c (c a power of two near max |x|), and c."""
    x, w, _ = prepare(x, weights)
    c = pow2_scale(float(np.max(np.abs(x))))
    return scaled_information(family, x / c, w, {name: params[name] / c}, c)


# ------------------------------------------------------------------ logs of offset data
def log_ratio(x: np.ndarray, m: float) -> np.ndarray:
    r"""``log(x/m)`` elementwise for x > 0, accurate to a few ulps *of the result*.

    ``log x − log m`` loses everything when x is near m (data 1e9 + N(0, 1): the logs
    agree to 9 digits, so their difference keeps only 7). Near m the difference
    :math:`d = (x − m)/m` is exact in its numerator (Sterbenz: m/2 ≤ x ≤ 2m) and
    ``log1p(d)`` is exact to an ulp; for x < m/2, where 1 + d itself would round, the
    plain difference of logs is used (there |log(x/m)| > log 2, so it is accurate).
    Values x ≤ 0 give −inf or NaN (the caller's finiteness check names them).
    """
    x = np.asarray(x, float)
    m = float(m)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = x - m
        d /= m
        y = np.log1p(d, out=d)
        far = np.flatnonzero(x < 0.5 * m)
        if far.size:
            y[far] = np.log(x[far]) - np.log(m)
    return y


def log1pmx_neg(d: Any) -> Any:
    r"""φ(d) = d − log1p(d) ≥ 0 for d > −1, without the cancellation near d = 0.

    With :math:`u = d/(2+d)`, :math:`\log(1+d) = 2\,\mathrm{atanh}\,u` and
    :math:`d − 2u = d u`, so :math:`φ(d) = d u − 2u^3(1/3 + u^2/5 + u^4/7 + …)`, summed
    to 1e-18 relative for |d| ≤ 0.1 (|u| ≤ 0.053); beyond, d − log1p(d) is accurate.
    """
    d = np.asarray(d, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = d / (2.0 + d)
        v = u * u
        poly = np.full_like(u, 1.0 / 17)
        for j in range(15, 1, -2):  # 1/17 … 1/3 by Horner in u²
            poly *= v
            poly += 1.0 / j
        poly *= v
        poly *= u
        poly *= -2.0
        poly += d * u  # d·u − 2u³(1/3 + u²/5 + …)
        far = np.abs(d) > 0.1
        if np.any(far):
            poly = np.where(far, d - np.log1p(d), poly)
    return poly if poly.ndim else float(poly)


def safe_mean(x: np.ndarray, w: np.ndarray | None, total: float) -> float:
    """Σ w x / W, in units of a power of two near max |x| when the plain sum overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        m = wsum(w, x) / total
    if not np.isfinite(m) and np.all(np.isfinite(x)):
        c = pow2_scale(float(np.max(np.abs(x))))
        m = c * (wsum(w, x / c) / total)
    return float(m)


def log_mean_gap(x: np.ndarray, w: np.ndarray | None, total: float
                 ) -> tuple[float, float, np.ndarray]:
    r"""``(log x̄, s, y)``: :math:`s = \log\bar x − \overline{\log x} \ (\ge 0)` computed
    from relative deviations, and ``y = log(x/m)`` (see :func:`log_ratio`).

    With m the computed (rounded) mean, :math:`d_i = (x_i − m)/m` and
    :math:`\bar d = \sum w d / W` (the rounding error of m, relative),

    .. math:: s = \log(1 + \bar d) − \overline{\log(1 + d)}
              = \overline{φ(d)} − φ(\bar d), \qquad φ(d) = d − \log(1+d) \ge 0,

    a mean of non-negative terms, accurate to a few ulps even where s is 1e-19 (data
    1e9 + N(0, 1): Gamma's shape is then ~1e18). The naive ``log(mean) − mean(log)``
    keeps only ~|log x̄|·1e-16 absolute accuracy, so such data look all equal.
    Data of any magnitude: the mean is taken in units of a power of two near max x
    when the plain sum overflows. NaN or non-finite results mean some x ≤ 0, NaN or inf.
    """
    m = safe_mean(x, w, total)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = np.asarray(x, float) - m
        d /= m
        dbar = wsum(w, d) / total
        y = log_ratio(x, m)
        # φ(d) = d − y (exact relation); near d = 0 by the series instead
        phi = d - y
        near = np.flatnonzero(np.abs(d) <= 0.1)
        if near.size:
            phi[near] = log1pmx_neg(d[near])
        s = wsum(w, phi) / total - log1pmx_neg(dbar)
        log_mean = float(np.log(m) + np.log1p(dbar))
    return log_mean, max(float(s), 0.0) if np.isfinite(s) else float(s), y
