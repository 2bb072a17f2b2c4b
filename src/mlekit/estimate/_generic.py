r"""The generic maximum-likelihood path: any family with a log-density.

Steps (in this order):

1. **set-up** — free parameters packed into an unconstrained vector ``u``
   (:mod:`._transform`); starting values from :func:`start_values`
   (domain defaults scaled to the data, then matched to the sample mean and
   variance through the family's ``mean``/``var``; the candidate with the
   best log-likelihood wins);
2. **gradient** — analytic: the family's ``score`` chained through the
   analytic Jacobian of the bijection, :math:`\nabla_u\ell = J^\top\nabla_\theta\ell`
   (central differences only where the family has no usable score, and for
   censored terms; the method string says so);
3. **quasi-Newton** — ``scipy.optimize.minimize(method="L-BFGS-B")`` on the
   mean negative log-likelihood :math:`-\ell(u)/n`;
4. **Newton polish** — where the family has a Hessian, Newton steps in θ with
   step halving (staying in the domain, never decreasing ℓ) until the Newton
   decrement :math:`\lambda^2 = g^\top(-H)^{-1}g` is negligible;
5. **convergence check** — a non-finite NLL is never trusted; otherwise
   converged means a negligible Newton decrement (or, without a Hessian, an
   L-BFGS-B success with a small gradient). Failing that, the caller warns with
   :class:`~mlekit.errors.ConvergenceWarning`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError, DensityError
from ._data import Prepared
from ._loglik import Objective
from ._transform import Packer, domain_centre, is_vector_domain

__all__ = [
    "GenericOutcome",
    "generic_fit",
    "numerical_hessian_f",
    "numerical_hessian_u",
    "start_values",
]


@dataclass
class GenericOutcome:
    theta: dict[str, np.ndarray]
    llf: float
    converged: bool
    method: str
    message: str
    nit: int
    grad_mode: str


def _weighted_stats(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    wsum = w.sum()
    mean = float(np.sum(w * x) / wsum)
    var = float(np.sum(w * (x - mean) ** 2) / wsum)
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    median = float(x[order][np.searchsorted(cw, 0.5 * wsum)])
    return mean, var, median


def _default(fp, family, mean, sd, median, lo, hi) -> list[np.ndarray]:
    r"""A few candidate values for one parameter from its domain and the data's scale.

    Read from what the domain declares, never from its type: a vector domain
    (:func:`~._transform.is_vector_domain`) starts at its centre :math:`g(0)`
    (uniform on the Simplex); an elementwise one by its :attr:`~mlekit.domains.Domain.edges`
    :math:`(a, b)`:

    * :math:`(-\infty, \infty)`: the data's mean and median, beyond its range, and 0;
    * :math:`(a, \infty)`: :math:`a + s` for :math:`s \in \{1, \mathrm{sd}, 1/\mathrm{sd},
      |\bar x - a|, \max(x_{\min} - a, 0)\}` (a zero offset replaced by 1), and the
      mirror image :math:`b - s` for :math:`(-\infty, b)`;
    * :math:`(a, b)` finite: the midpoint, the quartiles, and the mean when inside.
    """
    domain, shape = fp.domain, fp.shape
    if is_vector_domain(domain):
        return [domain_centre(domain, shape)]
    a, b = (float(e) for e in domain.edges)
    if not np.isfinite(a) and not np.isfinite(b):
        vals = [mean, median, lo - sd, hi + sd, 0.0]
        if fp.name != family.mean_parameter:
            vals = [median, mean, lo - sd, hi + sd, 0.0]
    elif np.isfinite(a) and np.isfinite(b):
        vals = [0.5 * (a + b), a + 0.25 * (b - a), a + 0.75 * (b - a)]
        if a < mean < b:
            vals.insert(0, mean)
    elif np.isfinite(a):
        vals = [a + s for s in (1.0, sd, 1.0 / sd, abs(mean - a) or 1.0, max(lo - a, 0.0) or 1.0)]
    else:
        vals = [b - s for s in (1.0, sd, 1.0 / sd, abs(b - mean) or 1.0, max(b - hi, 0.0) or 1.0)]
    out = []
    for v in vals:
        if np.isfinite(v):
            out.append(np.full(shape, float(v)) if shape else np.asarray(float(v)))
    return out


def start_values(prep: Prepared, obj: Objective, packer: Packer,
                 user: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Method-of-moments-style starting point.

    Candidates: domain defaults at the data's location and scale; each scalar
    parameter varied over a few data-scaled values; and the point whose model
    mean and variance match the sample mean and variance (solved numerically
    with the family's ``mean``/``var`` where it declares them). The candidate
    with the highest finite log-likelihood is returned.
    """
    family = prep.family
    pts = prep.all_points()
    w = prep.all_weights()
    if pts.ndim > 1:
        pts_1d = pts.reshape(pts.shape[0], -1).mean(axis=1)
    else:
        pts_1d = pts
    mean, var, median = _weighted_stats(pts_1d, w)
    sd = float(np.sqrt(var)) if var > 0 else 1.0
    lo, hi = float(pts_1d.min()), float(pts_1d.max())
    opts = {fp.name: _default(fp, family, mean, sd, median, lo, hi) for fp in prep.free}
    for name, v in (user or {}).items():
        opts[name] = [np.asarray(v, float)]
    base = {n: vals[0] for n, vals in opts.items()}
    cands = [base]
    for name, vals in opts.items():
        for v in vals[1:]:
            cands.append({**base, name: v})

    def ll(th):
        if not packer.in_domain(th):
            return -np.inf
        try:
            return obj.loglik(th)
        except DensityError:  # a typed density found negative: its own message, not "no start"
            raise
        except (ValueError, FloatingPointError, ZeroDivisionError):
            return -np.inf

    scores = [ll(c) for c in cands]
    best = cands[int(np.argmax(scores))]
    if not user:
        mm = _moment_match(prep, packer, best, mean, var)
        if mm is not None:
            cands.append(mm)
            scores.append(ll(mm))
    if not np.any(np.isfinite(scores)):
        raise DataError(
            f"no starting point with a finite log-likelihood was found for {family.title}; "
            "give one with start={...}"
        )
    return cands[int(np.argmax(scores))]


def _moment_match(prep, packer, start, mean, var):
    """Solve mean(θ) = x̄ (and var(θ) = s²) in the unconstrained coordinates."""
    family = prep.family
    if packer.has_simplex or packer.usize == 0 or packer.usize > 3 or family.event_ndim:
        return None

    def moments(u):
        p = {**prep.fixed, **packer.theta(u)}
        with np.errstate(all="ignore"):
            m = float(np.asarray(family.mean(**p)))
            v = float(np.asarray(family.var(**p))) if packer.usize > 1 else np.nan
        return m, v

    try:
        moments(packer.u(start))
    except Exception:  # a family may not declare moments: skip this candidate
        return None
    sd = np.sqrt(var) if var > 0 else 1.0

    def resid(u):
        try:
            m, v = moments(u)
        except Exception:  # a family may fail off its comfortable range
            return np.full(2, 1e150)
        r = [(m - mean) / sd]
        r.append(np.log(v / var) if packer.usize > 1 and var > 0 and v > 0 else
                 (0.0 if packer.usize == 1 or var <= 0 else 1e150))
        r = np.asarray(r, float)
        return np.where(np.isfinite(r), r, 1e150)

    u0 = packer.u(start)
    if not np.all(np.isfinite(resid(u0))) or np.any(np.abs(resid(u0)) >= 1e150):
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            from scipy import optimize

            res = optimize.least_squares(resid, u0, method="trf", max_nfev=60,
                                         xtol=1e-6, ftol=1e-8)
        except (ValueError, np.linalg.LinAlgError):
            return None
    th = packer.theta(res.x)
    return th if packer.in_domain(th) else None


def numerical_hessian_u(fun_grad, u: np.ndarray) -> np.ndarray:
    """Hessian of a function whose gradient is known: central differences of the gradient."""
    m = u.size
    out = np.zeros((m, m))
    for j in range(m):
        h = 1e-5 * max(1.0, abs(u[j]))
        up, um = u.copy(), u.copy()
        up[j] += h
        um[j] -= h
        out[:, j] = (fun_grad(up) - fun_grad(um)) / (2 * h)
    return 0.5 * (out + out.T)


def numerical_hessian_f(fun, u: np.ndarray) -> np.ndarray:
    """Hessian of a scalar function by second-order central differences (no gradient known)."""
    m = u.size
    out = np.zeros((m, m))
    h = 1e-4 * np.maximum(1.0, np.abs(u))
    f0 = fun(u)
    for i in range(m):
        for j in range(i, m):
            if i == j:
                up, um = u.copy(), u.copy()
                up[i] += h[i]
                um[i] -= h[i]
                out[i, i] = (fun(up) - 2 * f0 + fun(um)) / h[i] ** 2
                continue
            vals = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                v = u.copy()
                v[i] += si * h[i]
                v[j] += sj * h[j]
                vals.append(fun(v))
            out[i, j] = out[j, i] = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h[i] * h[j])
    return out


# families whose score / Hessian raised once (not retried: the symbolic fallback is slow)
_NO_SCORE: set = set()
_NO_HESSIAN: set = set()


class GenericFitter:
    """Runs steps 1–5 of the module docstring on one prepared data set."""

    def __init__(self, prep: Prepared, start: dict[str, Any] | None = None,
                 maxiter: int = 1000):
        self.prep = prep
        self.packer = Packer(prep.free)
        self.obj = Objective(prep, self.packer)
        self.scale = max(prep.nobs, 1.0)
        self.maxiter = maxiter
        self.start = start
        self.grad_mode = "analytic"
        self.hess_ok = False

    def probe(self, theta) -> None:
        """Decide, at ``theta``, whether the family's score and Hessian are usable."""
        self.grad_mode = "analytic" if self._probe_score(theta) else "finite-difference"
        self.hess_ok = (not self.packer.has_simplex and self.prep.censored is None
                        and self._probe_hessian(theta))

    # -- probes ----------------------------------------------------------------------
    def _probe_score(self, theta) -> bool:
        if self.obj.n == 0:
            return True
        if self.prep.family in _NO_SCORE:
            return False
        try:
            g = self.obj.score_theta(theta)
        except Exception:  # any failure means "no usable score"
            _NO_SCORE.add(self.prep.family)  # e.g. a symbolic density SymPy cannot differentiate
            return False
        return g.shape == (self.packer.size,) and bool(np.all(np.isfinite(g)))

    def _probe_hessian(self, theta) -> bool:
        if self.grad_mode != "analytic" or self.prep.family in _NO_HESSIAN:
            return False
        try:
            h = self.obj.hessian_theta(theta)
        except Exception:
            _NO_HESSIAN.add(self.prep.family)
            return False
        return bool(np.all(np.isfinite(h)))

    # -- objective in u --------------------------------------------------------------
    def loglik_u(self, u) -> float:
        th = self.packer.theta(u)
        if not self.packer.in_domain(th):
            return -np.inf
        return self.obj.loglik(th)

    def grad_u(self, u) -> np.ndarray:
        """∇_u ℓ (not scaled)."""
        th = self.packer.theta(u)
        if self.grad_mode == "analytic":
            g = self.packer.grad_u(th, self.obj.score_theta(th))
            if self.obj.has_censored:
                g = g + self.obj.censored_grad_u(u)
            return g
        g = np.zeros_like(u)
        for j in range(u.size):
            h = 1e-6 * max(1.0, abs(u[j]))
            up, um = u.copy(), u.copy()
            up[j] += h
            um[j] -= h
            g[j] = (self.loglik_u(up) - self.loglik_u(um)) / (2 * h)
        return g

    def _fg(self, u):
        with np.errstate(all="ignore"):
            ll = self.loglik_u(u)
            if not np.isfinite(ll):
                return 1e300, np.zeros_like(u)
            g = self.grad_u(u)
        if not np.all(np.isfinite(g)):
            return 1e300, np.zeros_like(u)
        return -ll / self.scale, -g / self.scale

    # -- run -------------------------------------------------------------------------
    def run(self) -> GenericOutcome:
        packer = self.packer
        self.theta0 = start_values(self.prep, self.obj, packer, self.start)
        self.probe(self.theta0)
        u0 = packer.u(self.theta0)
        from scipy import optimize

        res = optimize.minimize(self._fg, u0, jac=True, method="L-BFGS-B",
                                options={"maxiter": self.maxiter, "ftol": 1e-15,
                                         "gtol": 1e-10, "maxcor": 20})
        u = np.asarray(res.x, float)
        theta = packer.theta(u)
        nit = int(res.nit)
        solver = "L-BFGS-B"
        decrement = np.nan
        if self.hess_ok:
            theta, decrement, k = self._newton(theta)
            nit += k
            solver = "L-BFGS-B + Newton"
        llf = self.obj.loglik(theta)
        if not np.isfinite(llf):
            return GenericOutcome(theta, llf, False, f"generic ({solver})",
                                  "the negative log-likelihood at the end is not finite", nit,
                                  self.grad_mode)
        if self.hess_ok and np.isfinite(decrement):
            converged = decrement <= 1e-8
            msg = f"Newton decrement {decrement:.3g}"
        else:
            g = self.grad_u(packer.u(theta)) / self.scale
            gmax = float(np.max(np.abs(g))) if g.size else 0.0
            converged = bool(res.success or gmax < 1e-6) and gmax < 1e-4
            msg = f"{res.message}; max |gradient| per observation {gmax:.3g}"
        label = f"generic ({solver}"
        if self.grad_mode != "analytic":
            label += ", finite-difference gradient"
        elif self.obj.has_censored:
            label += ", censored terms by finite differences"
        label += ")"
        return GenericOutcome(theta, llf, bool(converged), label, msg, nit, self.grad_mode)

    def _newton(self, theta):
        obj, packer = self.obj, self.packer
        ll = obj.loglik(theta)
        decrement = np.nan
        for k in range(1, 51):
            with np.errstate(all="ignore"):
                g = obj.score_theta(theta)
                hess = obj.hessian_theta(theta)
            if not (np.all(np.isfinite(g)) and np.all(np.isfinite(hess))):
                return theta, np.nan, k
            try:
                step = np.linalg.solve(-hess, g)
            except np.linalg.LinAlgError:
                return theta, np.nan, k
            decrement = float(g @ step)
            if not np.isfinite(decrement) or decrement < 0:
                return theta, np.nan, k  # -H not positive definite here
            if decrement <= 1e-18 * max(1.0, abs(ll)):
                return theta, decrement, k  # below rounding: nothing left to gain
            flat = packer.flat(theta)
            t, accepted = 1.0, False
            while t > 1e-12:
                cand = packer.unflat(flat + t * step)
                if packer.in_domain(cand):
                    llc = obj.loglik(cand)
                    if np.isfinite(llc) and llc >= ll - 1e-13 * abs(ll):
                        theta, ll, accepted = cand, llc, True
                        break
                t *= 0.5
            if not accepted:
                return theta, decrement, k
            if t == 1.0 and decrement <= 1e-10:
                # a full Newton step from a point this close leaves an error of order
                # decrement**2: done
                return theta, decrement, k
        return theta, decrement, 50


def generic_fit(prep: Prepared, start=None, maxiter: int = 1000) -> tuple[GenericOutcome,
                                                                             GenericFitter]:
    fitter = GenericFitter(prep, start=start, maxiter=maxiter)
    return fitter.run(), fitter
