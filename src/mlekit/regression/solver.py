r"""Newton's method with a backtracking line search, on sums supplied by a row-sum backend.

The solver minimises the (penalised) negative log-likelihood

.. math:: F(\theta) = f(\theta) + \tfrac12 \theta^\top \Lambda \theta ,

where ``f`` and its derivatives come from a row-sum backend (``_sums.py``:
``nll(theta)`` and ``nll_grad_hess(theta)``) and ``Λ`` is a diagonal prior
precision (ridge / Gaussian prior; zeros for plain maximum likelihood). It never
sees the family, the link or the rows.

Steps of one iteration, in order (as in scikit-learn's ``_newton_solver.py``):

1. **setup** — start from ``theta0`` (the intercept-only MLE from the row model,
   or the MLE on a subsample of the rows: ``_pipeline.warm_start``);
2. **gradient/Hessian** — one fused pass over the rows: ``F``, ``∇F``, ``∇²F``.
   *Approximate Hessian*: when the caller passes ``hess0`` (a Hessian near
   ``theta0`` estimated from part of the rows), the passes compute ``∇F`` only —
   and ``F`` only where it is free (a lean backend skips the logit's ``log1p``,
   ``sums.value_is_optional``) — and the steps reuse ``hess0``, updated by BFGS
   with the exact change of the gradient. Since the gradient is exact the iteration
   still converges to the exact optimum (linearly, at the rate
   ``||I - hess0⁻¹ ∇²F||``, ~0.02 at 1e6 x 50); a full step is kept if it halves
   ``||∇F||`` (when ``F`` was skipped) or passes the Armijo test (when it was not);
   otherwise, or as soon as a step shrinks ``||∇F||`` by less than 4x, the exact
   Hessian is computed on every later pass (plain damped Newton). The pass that
   should reach the *hand-off* point (step 5), predicted from the last rate,
   computes the exact Hessian: it is needed there for the standard errors anyway;
3. **inner solve** — ``∇²F d = -∇F`` by Cholesky on the Jacobi-scaled Hessian;
   if it is not positive definite (a non-canonical link far from the optimum),
   fall back to an eigen-decomposition with absolute, floored eigenvalues; if it
   is numerically singular, to ``lstsq`` with a warning;
4. **line search** — backtracking (Armijo) on ``F``, halving from the full step;
   once a full step has been accepted (the quadratic phase, where full steps
   keep being accepted), the next full step is tried with the fused pass
   itself, so an accepted step costs one pass over the rows instead of two;
5. **convergence check** — stop when the relative gradient norm is small,
   ``||∇F(θ)||₂ <= tol · ||∇F(0)||₂`` (``sums.grad_at_zero()``; the measure the
   benchmarks report) and the Newton decrement ``λ² = -∇Fᵀd <= 1e-10`` (the
   point is within 1e-5 standard errors of the optimum, so the Hessian of this
   pass gives its standard errors); or, on the approximate-Hessian path, at the
   *hand-off*: the exact Hessian, ``λ² <= 1e-6`` and a relative gradient
   ``<= 1000 tol``, where the polishing step (6) lands far below ``tol`` by
   Newton's quadratic convergence (measured relative gradients 1e-14 after it;
   standard errors within 5e-8 of those at the optimum); or, as scale-free safety
   nets with ``τ = tol / 100``, when the Jacobi-scaled gradient is tiny,
   ``max_j |∇F_j| / sqrt(∇²F_jj) <= τ · sqrt(max(1, |F|))``, or the Newton
   decrement ``-∇Fᵀd <= τ² · max(1, |F|)`` (both unchanged by rescaling a column);
6. **polish** — the last Newton step with the exact Hessian costs no pass; ``F`` is
   moved to the step's end by its quadratic model (``F - λ²/2``).

If Newton does not converge in ``max_iter`` iterations (or the line search fails),
the solver falls back to SciPy's L-BFGS-B from the best point so far and, if that
fails too, emits a :class:`~mlekit.errors.ConvergenceWarning` that says what to try.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import linalg

from ..errors import ConvergenceWarning
from ._sums import _single_threaded_blas

__all__ = ["SolverResult", "newton"]

_DECREMENT_TOL = 1e-10  # nats: λ ≤ 1e-5 standard errors from the optimum
#: hand-off to the last, polishing Newton step (no pass after it): the exact Hessian at a
#: point with Newton decrement λ² <= 1e-6 nats (within λ <= 1e-3 standard errors of the
#: optimum) and a relative gradient <= 1000 tol. Newton's local quadratic convergence
#: then leaves λ ~ 1e-6 after the step, a relative gradient far below ``tol`` (measured
#: 1e-14 at 1e6 x 50). The Hessian there differs from the optimum's by
#: Σ a'''(η_i) (x_iᵀδ) x_i x_iᵀ, an average of terms of both signs, each at most
#: λ·SE(η_i) relative: standard errors agree to ~5e-8 (measured; checked against the exact
#: gradient and Hessian at the returned point in tests/regression/test_lean_passes.py)
_HANDOFF_DECREMENT = 1e-6
_HANDOFF_GRADIENT = 1e3


@dataclass
class SolverResult:
    """What the solver found (in the backend's parameter layout)."""

    theta: np.ndarray
    fun: float
    grad: np.ndarray
    hess: np.ndarray | None
    n_iter: int
    converged: bool
    method: str
    history: list[float] = field(default_factory=list)


def _penalised(sums: Any, theta: np.ndarray, prior: np.ndarray | None, hessian: bool = True,
               done: tuple | None = None):
    f, g, h = sums.nll_grad_hess(theta, hessian=hessian) if done is None else done
    if prior is not None:
        f += 0.5 * float(theta @ (prior * theta))
        g = g + prior * theta
        if h is not None:
            h = h + np.diag(prior)
    return f, g, h


def _fun(sums: Any, theta: np.ndarray, prior: np.ndarray | None) -> float:
    f = sums.nll(theta)
    if prior is not None:
        f += 0.5 * float(theta @ (prior * theta))
    return f


def _norm(v: np.ndarray) -> float:
    """Euclidean norm ``||v||₂`` without overflow or underflow: ``a ||v / a||₂``, ``a = max|v|``.

    ``np.linalg.norm`` squares the entries, so a gradient of ``1e200`` (a design or y near
    ``1e±300``) overflows to inf with a NumPy warning although its norm is representable.
    """
    a = float(np.max(np.abs(v))) if np.size(v) else 0.0
    if a == 0.0 or not np.isfinite(a):
        return a
    return a * float(np.linalg.norm(v / a))


def inner_solve(h: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, str]:
    """Solve ``h d = -g``; return the step and which path ran.

    Cholesky on the Jacobi-scaled matrix first (``D^{-1/2} h D^{-1/2}``, which
    removes the effect of badly scaled columns), then a floored eigen-solve.
    BLAS runs on one thread: a (P, P) factorisation is too small to gain from more,
    and on a busy machine their synchronisation cost 100x (measured at P = 201).
    """
    with _single_threaded_blas():
        return _inner_solve(h, g)


def _inner_solve(h: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, str]:
    d = np.sqrt(np.abs(np.diag(h)))
    d[d == 0] = 1.0
    if not np.all(np.isfinite(h)):
        # curvature overflowed (a mean running to a bound of its domain, e.g. a count
        # regression whose MLE does not exist): a scaled gradient step, which the line
        # search shortens; the caller diagnoses the fit (regression._diagnostics)
        d[~np.isfinite(d)] = 1.0
        return -g / d**2, "gradient"
    hs = h / d[:, None] / d[None, :]
    gs = g / d
    try:
        c = linalg.cho_factor(hs, lower=False, check_finite=False)
        step = -linalg.cho_solve(c, gs, check_finite=False)
        if np.all(np.isfinite(step)):
            return step / d, "cholesky"
    except linalg.LinAlgError:
        pass
    lam, V = linalg.eigh(hs, check_finite=False)
    top = max(float(np.max(np.abs(lam))), 1e-300)
    if np.min(np.abs(lam)) < 1e-13 * top:
        warnings.warn(
            "the Hessian is numerically singular; using a least-squares Newton step "
            "(check for collinear columns or a flat likelihood)",
            ConvergenceWarning, stacklevel=4,
        )
        try:
            step = -np.linalg.lstsq(hs, gs, rcond=1e-13)[0]
        except np.linalg.LinAlgError:  # (SVD failure: no least-squares step either)
            return -g / d**2, "gradient"
        return step / d, "lstsq"
    lam = np.maximum(np.abs(lam), 1e-8 * top)
    step = -(V @ ((V.T @ gs) / lam))
    return step / d, "eigh"


def _grad_reference(sums: Any) -> float:
    """``||∇f(0)||₂``, the scale of the relative gradient norm.

    0 when unavailable or not finite (θ = 0 outside the model's domain, e.g. the
    inverse link): the relative test is then off and the scale-free ones decide.
    """
    ref = getattr(sums, "grad_at_zero", None)
    if ref is None:
        return 0.0
    with np.errstate(all="ignore"):
        norm = _norm(ref())
    return norm if np.isfinite(norm) else 0.0


def _bfgs_update(h: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""BFGS update of an approximate Hessian with the exact change of the gradient.

    ``h + y yᵀ / (yᵀ s) - (h s)(h s)ᵀ / (sᵀ h s)`` is exact along the step ``s``
    (``h_new s = y``). Steps taken with a fixed approximate Hessian shrink the
    gradient like a power iteration, so the remaining error lines up with the
    direction the approximation gets most wrong, which is the direction each update
    corrects: the iteration becomes superlinear. Skipped unless ``yᵀ s > 0``.
    """
    ys = float(y @ s)
    hs = h @ s
    shs = float(s @ hs)
    if not (ys > 0 and shs > 0 and np.isfinite(ys)):
        return h
    return h + np.outer(y, y) / ys - np.outer(hs, hs) / shs


def _pass(sums: Any, theta: np.ndarray, prior: np.ndarray | None, hessian: bool,
          value: bool = True):
    """One fused pass; ``value=False`` lets a lean backend skip ``F`` (NaN) when it costs."""
    if not value and getattr(sums, "value_is_optional", False):
        f, g, h = sums.nll_grad_hess(theta, hessian=hessian, value=False)
        return _penalised(sums, theta, prior, done=(f, g, h))
    return _penalised(sums, theta, prior, hessian=hessian)


def newton(sums: Any, theta0: np.ndarray, prior: np.ndarray | None = None,
           max_iter: int = 100, tol: float = 1e-8, fallback: bool = True,
           first_pass: tuple | None = None, hess0: np.ndarray | None = None,
           decrement_tol: float = _DECREMENT_TOL) -> SolverResult:
    r"""Minimise ``F(θ) = f(θ) + ½ θᵀΛθ`` by damped Newton.

    Convergence: see step 5 of the module docstring.

    Parameters
    ----------
    sums : row-sum backend with ``nll(theta)``, ``nll_grad_hess(theta)`` and
        ``grad_at_zero()``
    theta0 : starting point
    prior : diagonal prior precision Λ (None: none)
    max_iter : Newton iterations before the L-BFGS fallback
    tol : relative gradient norm at which to stop (see above)
    fallback : try L-BFGS-B when Newton fails
    first_pass : ``sums.nll_grad_hess(theta0)`` if the caller already has it (saves a pass);
        with ``hess0`` its Hessian may be None (``F`` may be NaN: skipped)
    hess0 : an approximation of ``∇²f`` near ``theta0`` (e.g. from a subsample fit); the
        first steps then reuse it and the passes over the rows compute ``f`` and ``∇f``
        only (step 2, *approximate Hessian*)
    decrement_tol : the Newton decrement (nats) below which the relative-gradient stop
        applies (step 5); raised by callers that need only an approximate optimum
    """
    # 1. setup
    theta = np.asarray(theta0, float).copy()
    history: list[float] = []
    if hess0 is None:
        f, g, h = _penalised(sums, theta, prior, done=first_pass)
        exact_h = True
    else:
        f, g, _ = (_pass(sums, theta, prior, hessian=False, value=False) if first_pass is None
                   else _penalised(sums, theta, prior, done=first_pass))
        h = hess0 if prior is None else hess0 + np.diag(prior)
        exact_h = False
    refresh = exact_h  # compute the Hessian on every pass (plain Newton)?
    # the hand-off stop (step 5) serves the large-n path that starts from an approximate
    # Hessian (large n): there its standard errors agree to ~5e-8 (see _HANDOFF_DECREMENT)
    warm = hess0 is not None
    g_ref = _grad_reference(sums)
    strict = 1e-2 * tol  # the scale-free safety criteria (see the module docstring)
    converged = False
    polish = None
    polish_dec = 0.0
    full_steps = False  # was the last step a full Newton step?
    rate = 1.0  # the last contraction ||∇F_new|| / ||∇F_old|| of an approximate-Hessian step
    f_known = f  # the last finite F seen (a lean gradient pass may skip F: NaN)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported
        history.append(f)
        # 2. gradient/Hessian are (f, g, h) from the previous pass
        skipped = exact_h is False and np.isnan(f)  # F not computed by this lean pass
        if (not skipped and not np.isfinite(f)) or not np.all(np.isfinite(g)):
            break
        # 3. inner solve
        step, how = inner_solve(h, g)
        decrement = -float(g @ step)
        scale = max(1.0, abs(f if not skipped else f_known))
        dh = np.sqrt(np.abs(np.diag(h)))
        dh[dh == 0] = 1.0
        g_norm = _norm(g)
        # 5. convergence check, on the gradient of the last pass
        # the relative gradient is measured against ∇F(0), which a far-off start (a
        # nuisance scale at 1 for data in the hundreds) inflates: it also needs the
        # Newton decrement λ² = ∇Fᵀ(∇²F)⁻¹∇F, the squared distance to the optimum in
        # units of standard errors, below _DECREMENT_TOL, so that the standard errors
        # from this pass's Hessian are those at the optimum to ~λ/√n. With the exact
        # Hessian a point within λ² <= _HANDOFF_DECREMENT also stops: the polishing
        # Newton step (6.) squares the distance (see _HANDOFF_DECREMENT)
        relative_ok = g_norm <= tol * g_ref and 0 <= decrement <= decrement_tol
        handoff = (warm and exact_h and how == "cholesky"
                   and 0 <= decrement <= _HANDOFF_DECREMENT
                   and g_norm <= _HANDOFF_GRADIENT * tol * g_ref)
        if not skipped and (relative_ok or handoff
                            or np.max(np.abs(g / dh)) <= strict * np.sqrt(scale)
                            or 0 <= decrement <= strict**2 * scale):
            converged = True
            polish = step if exact_h and how == "cholesky" and decrement >= 0 else None
            polish_dec = decrement
            break
        if decrement < 0:  # not a descent direction: steepest descent on the scaled problem
            step = -g / dh**2
            decrement = float(g @ (g / dh**2))
        gnorm = float(np.max(np.abs(g / dh)))
        # approximate Hessian: when this step should reach the hand-off point (at the
        # last rate, with a margin of 3), its pass computes the exact Hessian, needed anyway
        last = (not refresh and rate * rate * decrement <= 0.3 * _HANDOFF_DECREMENT
                and rate * g_norm <= 0.3 * _HANDOFF_GRADIENT * tol * g_ref)
        want_h = refresh or last
        if skipped:
            # 4'. a step without F: accept the full step if it contracts the gradient by 2
            #    (the iteration solves ∇F = 0); otherwise give up the approximate
            #    Hessian: an exact pass at θ, then plain damped Newton from there
            cand = theta + step
            new_pass = _pass(sums, cand, prior, hessian=want_h, value=want_h)
            g_new = new_pass[1]
            if np.all(np.isfinite(g_new)) and _norm(g_new) <= 0.5 * g_norm:
                t = 1.0
            else:
                f, g, h = _penalised(sums, theta, prior)
                f_known, exact_h, refresh = f, True, True
                continue
        else:
            # 4. line search (Armijo backtracking); when F cannot resolve the decrease
            #    (|ΔF| at rounding level), accept a step that shrinks the scaled gradient.
            #    The full step is evaluated with a fused pass (F, ∇F and, when the Hessian
            #    is to be refreshed, ∇²F) if that pass is likely to be accepted or cheap.
            t = 1.0
            accepted = False
            new_pass = None
            for _ in range(40):
                cand = theta + t * step
                # a trial point may overflow (a scale far off): its F is then inf or NaN
                # and the step is halved; the IEEE values are the answer, not a warning
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    if t == 1.0 and (full_steps or not refresh):
                        new_pass = _pass(sums, cand, prior, hessian=want_h)
                        fc = new_pass[0]
                    else:
                        fc = _fun(sums, cand, prior)
                if np.isfinite(fc) and fc <= f - 1e-4 * t * decrement:
                    accepted = True
                    break
                if np.isfinite(fc) and abs(fc - f) <= 1e-12 * scale:
                    if new_pass is None:
                        new_pass = _penalised(sums, cand, prior, hessian=want_h)
                    if np.max(np.abs(new_pass[1] / dh)) < gnorm:
                        accepted = True
                        break
                new_pass = None
                t *= 0.5
            if not accepted:
                # no decrease possible: we are at the optimum to machine precision,
                # or the problem is ill-posed; accept if the gradient is small
                converged = bool(gnorm <= 1e-6 * np.sqrt(scale))
                break
        full_steps = t == 1.0
        theta = cand
        g_old = g
        f, g, h_new = new_pass if new_pass is not None else _penalised(sums, theta, prior,
                                                                        hessian=want_h)
        if np.isfinite(f):
            f_known = f
        rate = _norm(g) / max(g_norm, 1e-300)
        if h_new is not None:
            h, exact_h = h_new, True
        else:
            h, exact_h = _bfgs_update(h, t * step, g - g_old), False
        if not refresh and rate > 0.25:
            # the approximate Hessian no longer contracts the gradient fast enough:
            # the next passes compute the exact one (plain Newton from here on)
            refresh = True
    if converged and not exact_h:
        # the exact Hessian at the solution (standard errors); the gradient is the same
        f, g, h = _penalised(sums, theta, prior)
        polish, how = inner_solve(h, g)
        polish_dec = -float(g @ polish)
        if how != "cholesky" or polish_dec < 0:
            polish = None
    if converged and polish is not None:
        # 6. polish: the last Newton step with the exact Hessian costs no pass and squares
        #    the error (the returned ∇F, ∇²F are those of the last pass, within the
        #    hand-off distance λ² <= _HANDOFF_DECREMENT: ∇²F, hence the standard errors,
        #    agree to ~5e-8 relative, measured); F is moved to the step's end by its
        #    quadratic model, F(θ + d) = F + ∇Fᵀd + ½ dᵀ∇²F d = F - λ²/2 (exact to O(λ³))
        theta = theta + polish
        f = f - 0.5 * polish_dec
    if converged or not fallback:
        return SolverResult(theta, f, g, h, it, converged, "newton", history)
    return _lbfgs(sums, theta, prior, tol, it, history)


def _lbfgs(sums: Any, theta: np.ndarray, prior: np.ndarray | None, tol: float, n_newton: int,
           history: list[float]) -> SolverResult:
    """Fallback: SciPy L-BFGS-B from the best Newton point."""
    from scipy.optimize import minimize

    def fg(t):
        f, g, _ = _penalised(sums, t, prior, hessian=False)
        return f, g

    res = minimize(fg, theta, jac=True, method="L-BFGS-B",
                   options={"maxiter": 5000, "gtol": 1e-10, "ftol": 1e-15})
    f, g, h = _penalised(sums, res.x, prior)
    dh = np.sqrt(np.abs(np.diag(h)))
    dh[dh == 0] = 1.0
    ok = bool(np.all(np.isfinite(g))) and np.max(np.abs(g / dh)) <= max(tol, 1e-6) * np.sqrt(
        max(1.0, abs(f)))
    if not ok:
        warnings.warn(
            f"the fit did not converge: Newton ({n_newton} iterations) and L-BFGS "
            f"({res.nit} iterations) stopped with scaled gradient norm "
            f"{float(np.max(np.abs(g / dh))):.3g}. Try standardising the columns of X, "
            "raising max_iter, adding a small alpha_l2 prior, or checking for separation "
            "or outliers.",
            ConvergenceWarning, stacklevel=3,
        )
    return SolverResult(res.x, f, g, h, n_newton + int(res.nit), ok, "newton+lbfgs", history)


def _soft(z: float, t: float) -> float:
    return float(np.sign(z) * max(abs(z) - t, 0.0))


def _cd_quadratic(h: np.ndarray, g: np.ndarray, theta: np.ndarray, l1: np.ndarray,
                  sweeps: int = 200, tol: float = 1e-13) -> np.ndarray:
    r"""Minimise ``gᵀd + ½ dᵀHd + Σ l1_j |θ_j + d_j|`` over d by cyclic coordinate descent."""
    d = np.zeros_like(theta)
    hd = np.zeros_like(theta)  # H @ d, kept up to date
    diag = np.diag(h).copy()
    diag[diag <= 0] = 1e-12
    for _ in range(sweeps):
        biggest = 0.0
        for j in range(theta.size):
            grad_j = g[j] + hd[j]
            if l1[j] == 0.0:
                new = d[j] - grad_j / diag[j]
            else:
                z = theta[j] + d[j] - grad_j / diag[j]
                new = _soft(z, l1[j] / diag[j]) - theta[j]
            delta = new - d[j]
            if delta != 0.0:
                d[j] = new
                hd += delta * h[:, j]
                biggest = max(biggest, abs(delta) * np.sqrt(diag[j]))
        if biggest <= tol:
            break
    return d


def prox_newton(sums: Any, theta0: np.ndarray, l1: np.ndarray, prior: np.ndarray | None = None,
                max_iter: int = 100, tol: float = 1e-10) -> SolverResult:
    r"""Proximal Newton for ``F(θ) = f(θ) + ½θᵀΛθ + Σ_j λ_j |θ_j|`` (Laplace prior → L1).

    The same steps as :func:`newton`, with the inner solve replaced by coordinate
    descent on the L1-penalised quadratic model (as glmnet / scikit-learn's
    coordinate-descent solvers do), and the line search on the non-smooth ``F``.
    Converged when the Newton-model step is below ``tol`` in standard-error units.
    """
    theta = np.asarray(theta0, float).copy()
    f, g, h = _penalised(sums, theta, prior)

    def total(t, fv):
        return fv + float(np.sum(l1 * np.abs(t)))

    F = total(theta, f)
    history = [F]
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        d = _cd_quadratic(h, g, theta, l1)
        dh = np.sqrt(np.abs(np.diag(h)))
        dh[dh == 0] = 1.0
        if np.max(np.abs(d) * dh) <= tol * np.sqrt(max(1.0, abs(F))):
            converged = True
            break
        # predicted decrease of the model (negative)
        delta = float(g @ d) + float(np.sum(l1 * (np.abs(theta + d) - np.abs(theta))))
        t, accepted = 1.0, False
        for _ in range(40):
            cand = theta + t * d
            Fc = total(cand, _fun(sums, cand, prior))
            if np.isfinite(Fc) and Fc <= F + 1e-4 * t * delta:
                accepted = True
                break
            if np.isfinite(Fc) and abs(Fc - F) <= 1e-12 * max(1.0, abs(F)):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            converged = bool(np.max(np.abs(d) * dh) <= 1e-6 * np.sqrt(max(1.0, abs(F))))
            break
        theta = cand
        f, g, h = _penalised(sums, theta, prior)
        F = total(theta, f)
        history.append(F)
    if not converged:
        warnings.warn(
            f"the L1-penalised fit did not converge in {it} proximal Newton iterations; "
            "raise max_iter, standardise the columns of X, or increase alpha_l1",
            ConvergenceWarning, stacklevel=3,
        )
    return SolverResult(theta, F, g, h, it, converged, "proximal newton (L1)", history)
