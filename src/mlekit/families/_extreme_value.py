r"""The profile equation shared by the Weibull and Gumbel fits.

If :math:`X \sim \mathrm{Weibull}(k, \lambda)` then :math:`\log X` is a minimum-Gumbel
variable with scale :math:`1/k`; a maximum-Gumbel sample :math:`x` becomes one after
:math:`x \mapsto -x`. Both MLEs therefore reduce to one equation in the shape. With
data shifted so that :math:`y \le 0` (maximum 0, so no exponential overflows) and the
*tilted* weights :math:`w_i e^{k y_i}`, the profile score for the shape is

.. math:: g(k) = \frac{1}{k} + \bar y - \mathrm{E}_k[y] = 0,
          \qquad \mathrm{E}_k[y] = \frac{\sum_i w_i e^{k y_i} y_i}{\sum_i w_i e^{k y_i}},

decreasing in :math:`k`; along the tilt the cumulants obey
:math:`d\kappa_j/dk = \kappa_{j+1}`, so :math:`g' = -1/k^2 - \kappa_2` and
:math:`g'' = 2/k^3 - \kappa_3` come from the same pass (Halley's method, cubic
convergence, with a bracketed fallback). Weibull: :math:`y = \log x - \max\log x`;
Gumbel(μ, β): :math:`y = -(x - \min x)` and :math:`k = 1/\beta`.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, NoMaximumError
from ._mle_tools import root_bracketed, subsample, wsum

__all__ = ["profile_shape", "solve_shape", "tilted_moments"]


def tilted_moments(y, w, k, bufs=None) -> tuple[float, float, float, float]:
    """Σ w e, and the mean, 2nd and 3rd raw moments of y under weights w·e, e = exp(k y).

    Written with in-place ufuncs into reusable buffers (no BLAS, no fresh array-sized
    allocations per pass): this is the whole cost of a Weibull or Gumbel fit on large data.
    """
    b1, b2 = bufs if bufs is not None else (np.empty_like(y), np.empty_like(y))
    np.multiply(y, k, out=b1)
    np.exp(b1, out=b1)
    if w is not None:
        b1 *= w
    a = float(b1.sum())
    np.multiply(b1, y, out=b2)
    m1 = float(b2.sum()) / a
    b2 *= y
    m2 = float(b2.sum()) / a
    b2 *= y
    m3 = float(b2.sum()) / a
    return a, m1, m2, m3


def solve_shape(y, w, total, k0=None, *, title: str, equal: str
                ) -> tuple[float, float, float, float]:
    """Root k of g(k) for data ``y <= 0``; returns ``(k, log Σ w e^{k y}, E_k[y], Var_k[y])``.

    ``title`` names the family in errors; ``equal`` says what all-equal data mean for it.
    """
    ybar = wsum(w, y) / total
    if not (-ybar) > 1e-14 * max(1.0, float(np.max(np.abs(y)))):
        raise NoMaximumError(f"{title}: all observations are equal, so {equal}")
    if k0 is None:
        sd = np.sqrt(max(wsum(w, (y - ybar) ** 2) / total, 1e-300))
        k0 = 1.2825 / sd  # Gumbel moment start: sd = π / (k √6)
    k = float(k0)
    bufs = (np.empty_like(y), np.empty_like(y))
    for _ in range(8):
        a, m1, m2, m3 = tilted_moments(y, w, k, bufs)
        v = m2 - m1 * m1
        c3 = m3 - 3.0 * m1 * m2 + 2.0 * m1**3
        g = 1.0 / k + ybar - m1
        g1 = -1.0 / k**2 - v
        g2 = 2.0 / k**3 - c3
        step = -g / g1
        denom = 1.0 + 0.5 * step * g2 / g1
        if 0.5 < denom < 2.0:
            step = step / denom
        if not np.isfinite(step) or k + step <= 0.2 * k or k + step >= 5.0 * k:
            break
        k += step
        if abs(step) <= 1e-6 * k:  # cubic convergence: the error left is ~ (step/k)^3
            # log Σ w e^{ky}, the tilted mean and variance at the final k from a cumulant
            # expansion around the last pass (errors ~ step², step³: negligible)
            log_a = np.log(a) + step * m1 + 0.5 * step**2 * v + step**3 * c3 / 6.0
            return k, float(log_a), m1 + step * v + 0.5 * step**2 * c3, v + step * c3

    # safeguarded path: bracket the root of the monotone g in u = log k, Newton/bisection
    def f(u):
        kk = np.exp(u)
        _, m1, m2, _ = tilted_moments(y, w, kk, bufs)
        return float(1.0 / kk + ybar - m1), float(kk * (-1.0 / kk**2 - (m2 - m1 * m1)))

    u0 = float(np.log(k0))
    lo, hi = u0 - 1.0, u0 + 1.0
    while f(lo)[0] < 0:
        lo -= 2.0
    while f(hi)[0] > 0:
        hi += 2.0
        if hi > 700:
            raise NoMaximumError(f"{title}: the profile likelihood keeps increasing towards a "
                            "degenerate distribution; the MLE does not exist")
    k = float(np.exp(root_bracketed(f, lo, hi, x0=u0, what=f"{title} profile equation")))
    a, m1, m2, _ = tilted_moments(y, w, k, bufs)
    return k, float(np.log(a)), m1, m2 - m1 * m1


def profile_shape(y, w, total, k0=None, *, title: str, equal: str
                  ) -> tuple[float, float, float, float]:
    """:func:`solve_shape`, started on large data from an evenly strided subsample, so the
    full data see only the last one or two (cubically convergent) passes."""
    if y.size > 100_000:
        ys, ws = subsample(y, w)
        tot = float(ys.size) if ws is None else float(ws.sum())
        if tot > 0:
            try:
                k0 = solve_shape(ys, ws, tot, k0, title=title, equal=equal)[0]
            except DataError:
                pass
    return solve_shape(y, w, total, k0, title=title, equal=equal)
