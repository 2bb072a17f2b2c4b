r"""Tweedie family with power :math:`1 < p < 2`: the compound Poisson–Gamma distribution.

``Tweedie(mu, phi, power)`` is the exponential dispersion model with mean ``mu`` = μ,
dispersion ``phi`` = φ and variance function :math:`V(\mu) = \mu^{p}`, so that
:math:`\operatorname{Var}(Y) = \phi\mu^{p}`. For :math:`1 < p < 2` it is the law of

.. math::

    Y = \sum_{i=1}^{N} G_i, \qquad N \sim \operatorname{Poisson}(\lambda), \quad
    G_i \sim \operatorname{Gamma}(\text{shape } k, \text{ scale } s),

    \lambda = \frac{\mu^{2-p}}{\phi(2-p)}, \qquad k = \frac{2-p}{p-1}, \qquad
    s = \phi(p-1)\mu^{p-1},

a point mass at 0, :math:`P(Y = 0) = e^{-\lambda}`, and a density on :math:`y > 0`

.. math::

    f(y;\,\mu,\phi,p) = a(y, \phi, p)\,
        \exp\Bigl\{\frac{1}{\phi}\Bigl(y\,\frac{\mu^{1-p}}{1-p} - \frac{\mu^{2-p}}{2-p}
        \Bigr)\Bigr\},
    \qquad a = \frac{1}{y}\sum_{j\ge1} W_j,

    \log W_j = j\bigl[k\log y - k\log(p-1) - (1+k)\log\phi - \log(2-p)\bigr]
               - \log j! - \log\Gamma(jk)

(Dunn & Smyth 2005, *Statistics and Computing* 15, 267–280). The series is summed in
log space (log-sum-exp) over the terms around its largest one, near
:math:`j_{\max} = y^{2-p}/(\phi(2-p))`: :math:`\log W_j` is concave in ``j``, so the
window is widened until both ends lie 40 nats (a factor 4e-18) below the top term.
``logpdf`` returns :math:`\log P(Y=0) = -\lambda` at ``y = 0`` (a log-probability, the
density with respect to the point mass) and :math:`\log f(y)` above 0: the likelihood
of data with zeros is :math:`\sum_{y_i=0} -\lambda + \sum_{y_i>0}\log f(y_i)`.

Derivatives. In ``mu`` the score is the GLM one, :math:`(y-\mu)/(\phi\mu^{p})`, at
``y = 0`` as above 0; in ``phi`` and ``power`` the series terms are differentiated under
the sum: with the weights :math:`w_j = W_j/\sum W`,
:math:`\partial\log a = \mathrm E_w[\partial\log W_j]` and
:math:`\partial^2\log a = \mathrm E_w[\partial^2\log W_j] + \mathrm{Cov}_w` (exact, no
finite differences). The CDF is the Poisson mixture of Gamma CDFs,
:math:`F(y) = e^{-\lambda} + \sum_{j\ge1}\mathrm{Pois}(j;\lambda)\,
P(\operatorname{Gamma}(jk, s)\le y)`, summed over the Poisson bulk (12 standard
deviations and 40 terms each side), so it is a truncated series, not a quadrature.

There is no closed SymPy density (an infinite series with an atom):
``sympy_density`` raises :class:`~mlekit.errors.NotImplementedForFamily` (torch, the
combinators and the symbolic checks refuse Tweedie by name); numbers come from the series
above. ``derive`` works from :meth:`TweedieFamily.derivation_density`, the series kept
whole as the function :math:`a(y, \phi, p)`: in μ the NLL is the Tweedie deviance times
:math:`1/(2\phi)` plus a constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, expit, gammainc, gammaincc, gammaln, logsumexp

from ..domains import Interval, NonNegative, Positive
from ..errors import NoMaximumError, NotImplementedForFamily
from ._mle_tools import MLEstimate, check_fixed, damped_newton, prepare, trigamma, wsum
from ._rowmodel import _MeanModel, _scaled_moments
from .base import Family, Parameter
from .poisson import _LOG_2PI, _bd0, _stirlerr

__all__ = ["Tweedie", "TweedieFamily"]

#: the power's domain: the open interval (1, 2) (compound Poisson–Gamma)
PowerInterval = Interval(name="Interval(1, 2)", rule="1 < value < 2",
                         sympy_assumptions={"positive": True}, low=1.0, high=2.0)

#: the series window ends where a term is this many nats below the largest one
_DROP = 40.0
#: at most this many cells (rows × terms) in one block of the series (2 MB a float array:
#: blocks that stay in cache measured ~25 % faster than 16 MB ones)
_CELLS = 250_000
#: at most this many nodes per row: a wider window (a peak of standard deviation
#: ~ sqrt(j (p − 1)) > 100 terms) is summed on a grid of step h > 1 in a continuous j
#: (``gammaln`` of real arguments), Σ_j W_j ≈ h Σ W(J): the trapezoid rule of a smooth
#: peak whose width is many steps, exact to far below rounding (Euler–Maclaurin)
_NODES = 4096


#: above this size of its largest pieces (~ j (1+k) log(j (1+k))), a term of the series is
#: summed in Loader's form, below it in the direct one (which then rounds to < 1e-12)
_LOADER_SIZE = 2000.0
#: the longest table of per-term special functions (see :func:`_per_term`)
_TABLE = 1_000_000
#: the window is doubled at most this many times (log W_j is concave: 1–2 suffice)
_SWEEPS = 12


def _k(p):
    """Gamma shape of one summand, k = (2 − p)/(p − 1) = −α of Dunn & Smyth."""
    return (2.0 - p) / (p - 1.0)


def _windows(jc: np.ndarray, half: np.ndarray):
    """Windows [lo, hi] of terms, j >= 1, around ``jc`` of half-width ``half``."""
    lo = np.maximum(1.0, np.floor(jc - half))
    hi = np.maximum(lo, np.ceil(jc + half))
    return lo, hi


def _blocks(lo: np.ndarray, hi: np.ndarray):
    """Rows in blocks of at most ~``_CELLS`` cells, ordered by window width: yields
    ``(rows, J, valid, h)`` with ``J[r, t] = lo[r] + t h[r]``, ``valid = J <= hi`` and
    the step ``h`` = 1 (every term) or, for windows wider than ``_NODES`` terms, the
    grid step (the terms are then a quadrature of the smooth peak)."""
    h = np.maximum(1.0, (hi - lo) / (_NODES - 1))
    count = np.floor((hi - lo) / h + 1e-9).astype(np.int64) + 1
    order = np.argsort(count, kind="stable")
    start, n = 0, lo.size
    while start < n:
        m = int(count[order[start]])
        stop = min(n, start + max(1, _CELLS // max(m, 1)))
        rows = order[start:stop]
        m = int(count[rows].max())
        while rows.size > 1 and rows.size * m > _CELLS:
            rows = rows[: rows.size // 2]
            m = int(count[rows].max())
        t = np.arange(m, dtype=float)
        J = lo[rows, None] + t[None, :] * h[rows, None]
        valid = t[None, :] < count[rows, None]
        yield rows, J, valid, h[rows]
        start += rows.size


def _per_term(fn, J: np.ndarray, kk: Any, h: np.ndarray) -> np.ndarray:
    """``fn(J * kk)`` per cell, through a table of ``fn(j k)`` for j = 1 … max J when the
    terms are whole numbers and every row shares k (one power for all rows: the usual
    case), so that each special function runs once per distinct j (same values)."""
    kk = np.asarray(kk, float)
    k0 = float(kk.flat[0])
    if np.all(h == 1.0) and np.all(kk == k0):
        top = int(J.max())
        if top <= _TABLE:
            table = fn(np.arange(1.0, top + 1.0) * k0)
            first = J[:, 0]
            if first.min() == first.max():  # every row from the same term (most often j = 1):
                return table[J[0].astype(np.intp) - 1][None, :]  # one row, broadcast
            return table[J.astype(np.intp) - 1]
    return fn(J * kk)


def _series(y: np.ndarray, phi: np.ndarray, p: np.ndarray, order: int = 0,
            mu: np.ndarray | None = None, power_moments: bool = True) -> dict:
    r"""The Dunn–Smyth series of ``log a(y, φ, p) + log y = log Σ_j W_j`` for y > 0 (flat,
    equal-length arrays), and with ``order >= 1`` the weighted moments its derivatives
    need: ``Ej`` = E_w[j], ``Vj`` = Var_w[j], ``Ep`` = E_w[∂_p log W_j] and with
    ``order >= 2`` ``Vp``, ``Cjp`` (covariances) and ``E2p`` = E_w[∂²_p log W_j].

    With ``mu`` it also gives ``logf`` = log f(y) summed term by term in Loader's
    saddle-point form (see :func:`_loader_terms`): each term is a Poisson probability
    times a Gamma density written without the cancellation of ``j log z − log j! −
    log Γ(jk)`` (terms of size ~j log j; at j ~ 1e5 that form keeps only ~1e-10 absolute).

    With ``order >= 3`` also ``K3``, ``K4``: the third and fourth cumulants of j under the
    weights (the third and fourth derivatives of ``lse`` in ``log z``).
    ``power_moments=False`` skips the moments in ``p`` (``Ep``, ``Vp``, ``Cjp``, ``E2p``):
    a fit of φ at a fixed power needs ``Ej`` and ``Vj`` only (half the work of a pass).
    """
    with np.errstate(all="ignore"):  # (extreme inputs: inf/NaN rows handled below)
        return _series_sum(y, phi, p, order, mu, power_moments)


def _series_threads(y: np.ndarray, phi: np.ndarray, p: np.ndarray, order: int = 0,
                    power_moments: bool = True, keys: tuple[str, ...] | None = None) -> dict:
    """:func:`_series` on contiguous parts of the rows, one thread a part (NumPy releases
    the GIL in its loops), one part per CPU this process may use, at most one per
    100,000 rows: each row's sums are its own, so the values are those of one call
    (to rounding: a row's terms may be padded to another block width). ``keys``: only
    these outputs (the others are not gathered)."""
    import os

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # (not Linux)
        cpus = os.cpu_count() or 1
    parts = min(cpus, y.size // 100_000)
    if parts <= 1:
        return _series(y, phi, p, order, power_moments=power_moments)
    from concurrent.futures import ThreadPoolExecutor

    cut = np.linspace(0, y.size, parts + 1).astype(int)

    def part(i: int) -> dict:
        sl = slice(cut[i], cut[i + 1])
        return _series(y[sl], phi[sl], p[sl], order, power_moments=power_moments)

    with ThreadPoolExecutor(parts) as pool:
        outs = list(pool.map(part, range(parts)))
    return {key: np.concatenate([o[key] for o in outs]) for key in (keys or outs[0])}


def _loader_terms(J, k, lam, z):
    r"""log[Pois(j; λ) · y·Gamma(y; jk, s)] with z = y/s and a = jk, in Loader's form:

    .. math:: -\delta(j) - \mathrm{bd0}(j, \lambda) - \delta(a) - \mathrm{bd0}(a, z)
              - \log 2\pi + \tfrac12\log(a/j),

    δ the Stirling error and bd0(x, m) = x log(x/m) + m − x ≥ 0 (both exact to a few
    ulps): every piece is small where the term matters, so no digits cancel."""
    a = J * k
    return (-_stirlerr(J) - _bd0(J, lam) - _stirlerr(a) - _bd0(a, z) - _LOG_2PI
            + 0.5 * (np.log(a) - np.log(J)))


def _series_sum(y: np.ndarray, phi: np.ndarray, p: np.ndarray, order: int,
                mu: np.ndarray | None, power_moments: bool = True) -> dict:
    n = y.size
    k = _k(p)
    logy = np.log(y)
    logz = k * logy - k * np.log(p - 1.0) - (1.0 + k) * np.log(phi) - np.log(2.0 - p)
    # the continuous maximiser (Dunn & Smyth): j_max = y^(2-p) / (φ (2-p))
    jmax = np.exp((2.0 - p) * logy - np.log(phi) - np.log(2.0 - p))
    jmax = np.minimum(jmax, 1e300)
    jc = np.maximum(1.0, np.round(jmax))
    # log W_j has curvature about -1/((p-1) j) at its top: sd of the window ~ sqrt(j(p-1))
    half = 10.0 * np.sqrt(jc * (p - 1.0) + 1.0) + 4.0
    out = {"lse": np.full(n, np.nan), "logf": np.full(n, np.nan)}
    if mu is not None:
        # the size of the pieces j log z, log j!, log Γ(jk) at the top term: rounding
        # leaves ~1e-16 of it in the direct form (Loader's form costs ~4x as much)
        size = jc * (1.0 + k) * np.log(jc * (1.0 + k) + np.e)
        lam = np.exp((2.0 - p) * np.log(mu) - np.log(phi) - np.log(2.0 - p))
        z = y / (phi * (p - 1.0) * np.exp((p - 1.0) * np.log(mu)))
    if order >= 1:
        for key in ("Ej", "Vj", "Ep", "Vp", "Cjp", "E2p") + (("K3", "K4") if order >= 3 else ()):
            out[key] = np.full(n, np.nan)
    todo = np.arange(n)
    for sweep in range(_SWEEPS):
        if todo.size == 0:
            break
        lo, hi = _windows(jc[todo], half[todo])
        again = []
        for rows, J, valid, h in _blocks(lo, hi):
            idx = todo[rows]
            kk = k[idx, None]
            with np.errstate(all="ignore"):
                L = (J * logz[idx, None] - _per_term(gammaln, J + 1.0, 1.0, h)
                     - _per_term(gammaln, J, kk, h))
            L = np.where(valid, L, -np.inf)
            top = np.max(L, axis=1)
            first = L[:, 0]
            last = np.take_along_axis(L, np.sum(valid, axis=1)[:, None] - 1, axis=1)[:, 0]
            short = ((lo[rows] > 1.0) & (first > top - _DROP)) | (last > top - _DROP)
            short &= np.isfinite(top) & (sweep < _SWEEPS - 1)  # (the last sweep keeps all)
            if np.any(short):
                again.append(idx[short])
            keep = ~short
            if not np.any(keep):
                continue
            idx, J, L, valid, top = idx[keep], J[keep], L[keep], valid[keep], top[keep]
            h = h[keep]
            with np.errstate(all="ignore"):
                e = np.exp(L - top[:, None])
                s = np.sum(e, axis=1)
                out["lse"][idx] = top + np.log(s) + np.log(h)
                if mu is not None:
                    good = np.isfinite(lam[idx]) & (lam[idx] > 0) & np.isfinite(z[idx]) \
                        & (z[idx] > 0) & (size[idx] > _LOADER_SIZE)
                    if np.any(good):
                        g = idx[good]
                        Jg = np.where(valid[good], J[good], 1.0)
                        t = _loader_terms(Jg, k[g, None], lam[g, None], z[g, None])
                        t = np.where(valid[good], t, -np.inf)
                        out["logf"][g] = logsumexp(t, axis=1) + np.log(h[good]) - logy[g]
                if order < 1:
                    continue
                w = e / s[:, None]
                Ej = np.sum(w * J, axis=1)
                dJ = np.where(valid, J - Ej[:, None], 0.0)
                out["Ej"][idx] = Ej
                out["Vj"][idx] = np.sum(w * dJ * dJ, axis=1)
                if order >= 3:  # the third and fourth cumulants of j (the φ-fit's Taylor)
                    d2 = dJ * dJ
                    out["K3"][idx] = np.sum(w * d2 * dJ, axis=1)
                    out["K4"][idx] = np.sum(w * d2 * d2, axis=1) - 3.0 * out["Vj"][idx] ** 2
                if not power_moments:
                    continue
                pp = p[idx, None]
                kk = k[idx, None]
                k1 = -1.0 / (pp - 1.0) ** 2
                A = k1 * logy[idx, None] + _cp(pp, phi[idx, None], kk, k1)
                psi = np.where(valid, _per_term(digamma, J, kk, h), 0.0)
                B = J * (A - k1 * psi)
                Ep = np.sum(w * B, axis=1)
                out["Ep"][idx] = Ep
                if order < 2:
                    continue
                dB = np.where(valid, B - Ep[:, None], 0.0)
                out["Vp"][idx] = np.sum(w * dB * dB, axis=1)
                out["Cjp"][idx] = np.sum(w * dJ * dB, axis=1)
                k2 = 2.0 / (pp - 1.0) ** 3
                A2 = k2 * logy[idx, None] + _cpp(pp, phi[idx, None], kk, k1, k2)
                tri = np.where(valid, _per_term(trigamma, J, kk, h), 0.0)
                out["E2p"][idx] = np.sum(w * (J * (A2 - k2 * psi) - J * J * k1 * k1 * tri),
                                         axis=1)
        todo = np.concatenate(again) if again else np.arange(0)
        half[todo] *= 2.0
    return out


def _cp(p, phi, k, k1):
    """∂c/∂p of the per-term constant c = −k log(p−1) − (1+k) log φ − log(2−p)."""
    return -k1 * np.log(p - 1.0) - k / (p - 1.0) - k1 * np.log(phi) + 1.0 / (2.0 - p)


def _cpp(p, phi, k, k1, k2):
    """∂²c/∂p² of the same constant."""
    return (-k2 * np.log(p - 1.0) - 2.0 * k1 / (p - 1.0) + k / (p - 1.0) ** 2
            - k2 * np.log(phi) + 1.0 / (2.0 - p) ** 2)


def _power_terms(mu, p):
    r"""θ = μ^(1−p)/(1−p), κ = μ^(2−p)/(2−p) and their first and second p-derivatives.

    With L = log μ and u = 1 − p: dθ/dp = e^{uL}(1/u² − L/u),
    d²θ/dp² = e^{uL}(L²/u − 2L/u² + 2/u³); κ likewise with v = 2 − p."""
    L = np.log(mu)
    out = []
    for u in (1.0 - p, 2.0 - p):
        e = np.exp(u * L)
        out += [e / u, e * (1.0 / u**2 - L / u), e * (L * L / u - 2.0 * L / u**2 + 2.0 / u**3)]
    return out  # theta, theta_p, theta_pp, kappa, kappa_p, kappa_pp


def _flat(x, mu, phi, power):
    shape = np.broadcast_shapes(np.shape(x), np.shape(mu), np.shape(phi), np.shape(power))
    arrs = [np.broadcast_to(np.asarray(v, float), shape).ravel() for v in (x, mu, phi, power)]
    return shape, arrs


# ---------------------------------------------------------------- fast path: the mean alone
@dataclass
class _TweedieMeanModel(_MeanModel):
    r"""The mean's row model at a fixed power: the unit deviance over a constant scale.

    .. math::

        \ell_i(\eta) = \frac{d(y_i, \mu_i)}{2\phi_0}, \qquad
        \frac{d}{2} = \frac{y^{2-p}}{(1-p)(2-p)} - \frac{y\,\mu^{1-p}}{1-p}
            + \frac{\mu^{2-p}}{2-p}, \qquad \mu = g^{-1}(\eta),

    which is the Tweedie NLL :math:`-\log f = -(y\theta - \kappa)/\phi - \log a(y,\phi,p)`
    at :math:`\phi = \phi_0` less a constant in :math:`\mu`: its score
    :math:`(y-\mu)/(\phi_0\mu^{p})` and Hessian are the family's μ-derivatives
    (:meth:`TweedieFamily._derivs`) at :math:`\phi_0`, so its minimiser is the MLE of
    the mean's coefficients whatever φ (the β-score of an exponential dispersion model
    does not involve φ) and no series is summed. ``scale`` = :math:`\phi_0` only sets the
    units of the solver's tolerances (a moment estimate of φ). Used by the regression
    pipeline's separable fit (:meth:`TweedieFamily.separable_mean_model`); held against
    the generic engine by ``tests/regression/test_tweedie_fast_path.py``.
    """

    mean_domain: ClassVar[str] = "positive"
    power: float = 1.5
    scale: float = 1.0

    def init_eta(self, y, w, aux):
        mz, _, s = _scaled_moments(y, w)
        with np.errstate(all="ignore"):
            e = float(self.link.link(np.asarray(s * mz)))
        return np.array([e if np.isfinite(e) else 0.0])

    def check_y(self, y, aux):
        from ..errors import SupportError

        return NonNegative.check(y, what="y", owner="Tweedie regression", error=SupportError)

    def _loglik(self, y, mu, nu, aux, order):
        p, f = self.power, self.scale
        with np.errstate(all="ignore"):
            e1 = np.exp((1.0 - p) * np.log(mu))   # μ^(1−p): θ = e1/(1−p), κ = e1 μ/(2−p)
            ysat = np.where(y > 0, np.exp((2.0 - p) * np.log(y)), 0.0) / ((1.0 - p) * (2.0 - p))
            ll = (e1 * (y / (1.0 - p) - mu / (2.0 - p)) - ysat) / f
            if order == 0:
                return ll, [], {}
            q = f / e1   # φ₀ μ^(p−1), as in TweedieFamily._derivs
            r = (y / mu - 1.0) / q
            return ll, [r], {(0, 0): -(1.0 + p * (y / mu - 1.0)) / q / mu}

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        return {"mu": mu, "phi": np.full(mu.shape, self.scale),
                "power": np.full(mu.shape, self.power)}


class TweedieFamily(Family):
    r"""Tweedie(mu, phi, power), 1 < power < 2: compound Poisson–Gamma with an atom at 0.

    .. math::

        P(Y=0) = e^{-\lambda},\ \lambda = \frac{\mu^{2-p}}{\phi(2-p)}; \qquad
        f(y) = \frac{1}{y}\sum_{j\ge1}W_j\;
        e^{\{y\mu^{1-p}/(1-p) - \mu^{2-p}/(2-p)\}/\phi}, \ y > 0,

    with mean ``mu`` = μ, variance :math:`\phi\mu^{p}`, dispersion ``phi`` = φ and
    ``power`` = p (``W_j`` as in the module docstring). ``logpdf`` at 0 is the log of the
    point mass. Regressions model ``mu`` (default link log; the canonical link
    :math:`\mu^{1-p}/(1-p)` has no name here); fix the power with
    ``fixed={"power": 1.5}`` or estimate it by maximum likelihood.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.Tweedie(mu=2.0, phi=1.5, power=1.5)
    >>> float(d.mean), round(float(d.var), 6)             # mu, phi mu^p
    (2.0, 4.242641)
    >>> round(float(np.exp(d.logpdf(0.0))), 6)          # P(0) = exp(-mu^0.5/(1.5*0.5))
    0.151735
    >>> round(float(d.logpdf(1.0)), 6)
    -1.466897
    """

    name = "tweedie"
    title = "Tweedie"
    parameters = (Parameter("mu", Positive, r"\mu"), Parameter("phi", Positive, r"\phi"),
                  Parameter("power", PowerInterval, "p"))
    support = NonNegative
    discrete = False
    mean_parameter = "mu"
    canonical_link = None
    #: y = 0 is the edge of the mean's domain (all zeros: mu -> 0, no MLE)
    mean_edges_in_data = ("lower",)
    #: P(Y = 0) = e^{−λ} > 0: logpdf(0) is the log of this mass (a mixed distribution)
    atoms: ClassVar[tuple[float, ...]] = (0.0,)
    #: an infinite series: no closed SymPy density (torch and the combinators refuse by
    #: name; derive uses :meth:`derivation_density`)
    has_symbolic_density: ClassVar[bool] = False
    #: Var(y) = φ μ^p: the GLM dispersion is phi itself (a regression's Pearson scale)
    dispersion_parameter = ("phi", 1)
    #: μ → ∞ or μ → 0 moves all the mass above or below any point; φ → 0 concentrates it
    #: at μ (all-equal exact values, or censoring intervals sharing a point: no MLE)
    censored_mass_escapes = True
    censored_mass_concentrates = True
    example_params: ClassVar[dict[str, Any]] = {"mu": 2.0, "phi": 1.5, "power": 1.5}
    mle_method: ClassVar[str] = "Newton on the profile in (log phi, logit(power - 1))"

    # ------------------------------------------------------------------ numerics
    def logpdf(self, x, mu, phi, power):
        shape, (y, m, f, p) = _flat(x, mu, phi, power)
        out = np.full(y.shape, -np.inf)
        with np.errstate(all="ignore"):
            theta, _, _, kappa, _, _ = _power_terms(m, p)
            expo = (y * theta - kappa) / f
        zero = y == 0
        out[zero] = expo[zero]
        pos = (y > 0) & np.isfinite(y)
        if np.any(pos):
            s = _series(y[pos], f[pos], p[pos], mu=m[pos])
            # Loader's term-by-term form where its pieces are finite, else the series in
            # W_j times the exponential factor (a mean or a scale beyond double range)
            out[pos] = np.where(np.isfinite(s["logf"]), s["logf"],
                                s["lse"] - np.log(y[pos]) + expo[pos])
        out[np.isnan(y)] = np.nan
        return out.reshape(shape)

    def _cdf_terms(self, x, mu, phi, power, upper: bool):
        r"""log Σ_{j≥1} Pois(j; λ) G_j(y), with G_j the Gamma(jk, s) CDF (``upper``: its
        survival function), over the Poisson bulk λ ± (12√λ + 40) and, for the upper
        tail, also over the window of the density's own terms around
        j_max(y) = y^{2−p}/(φ(2−p)) (where the far tail's mass sits), kept apart so that
        each window is summed term by term."""
        with np.errstate(all="ignore"):
            shape, (y, m, f, p) = _flat(x, mu, phi, power)
            k = _k(p)
            lam = np.exp((2.0 - p) * np.log(m) - np.log(f) - np.log(2.0 - p))
            scale = f * (p - 1.0) * np.exp((p - 1.0) * np.log(m))
            yy = np.where(y > 0, y, 0.0)
            spread = 12.0 * np.sqrt(lam) + 40.0
            windows = [(np.maximum(1.0, np.floor(lam - spread)), np.ceil(lam + spread))]
            if upper:
                jy = np.exp((2.0 - p) * np.log(yy) - np.log(f) - np.log(2.0 - p))
                half = 12.0 * np.sqrt(jy * (p - 1.0) + 1.0) + 40.0
                lo2 = np.maximum(np.floor(jy - half), windows[0][1] + 1.0)
                hi2 = np.ceil(jy + half)
                windows.append((np.minimum(lo2, hi2), hi2))
            out = np.full(y.size, -np.inf)
            for w, (lo, hi) in enumerate(windows):
                lo = np.where(np.isfinite(lo), lo, 1.0)
                hi = np.where(np.isfinite(hi), np.minimum(hi, 1e300), lo)
                empty = hi < lo if w else np.zeros(lo.shape, bool)
                hi = np.where(empty, lo, hi)
                for rows, J, valid, h in _blocks(lo, hi):
                    lp = J * np.log(lam[rows, None]) - lam[rows, None] - gammaln(J + 1.0)
                    a = J * k[rows, None]
                    z = (yy[rows] / scale[rows])[:, None]
                    g = np.log(gammaincc(a, z) if upper else gammainc(a, z))
                    t = np.where(valid & ~empty[rows, None], lp + g, -np.inf)
                    out[rows] = np.logaddexp(out[rows], logsumexp(t, axis=1) + np.log(h))
        return shape, y, lam, out

    def cdf(self, x, mu, phi, power):
        """F(y) = e^{−λ} + Σ_{j≥1} Pois(j; λ) P(Gamma(jk, s) ≤ y): a truncated series
        (the Poisson bulk), not a quadrature; 0 below 0."""
        shape, y, lam, logs = self._cdf_terms(x, mu, phi, power, upper=False)
        with np.errstate(all="ignore"):
            val = np.exp(-lam) + np.exp(logs)
        val = np.where(y < 0, 0.0, np.minimum(val, 1.0))
        return np.where(np.isnan(y), np.nan, val).reshape(shape)

    def logsf(self, x, mu, phi, power):
        """log P(Y > y) = log Σ_{j≥1} Pois(j; λ) P(Gamma(jk, s) > y), in log space (also
        the far right tail: the window reaches the terms whose Gamma covers y); 0 below 0."""
        shape, y, _, logs = self._cdf_terms(x, mu, phi, power, upper=True)
        out = np.where(y < 0, 0.0, logs)
        return np.where(np.isnan(y), np.nan, out).reshape(shape)

    def sample(self, size, rng, mu, phi, power):
        """N ~ Poisson(λ) summands, then Y ~ Gamma(N k, scale s) (Y = 0 when N = 0)."""
        out = tuple(size) + np.broadcast_shapes(np.shape(mu), np.shape(phi), np.shape(power))
        m, f, p = (np.broadcast_to(np.asarray(v, float), out) for v in (mu, phi, power))
        lam = m ** (2.0 - p) / (f * (2.0 - p))
        n = rng.poisson(lam)
        return rng.standard_gamma(n * _k(p)) * (f * (p - 1.0) * m ** (p - 1.0))

    def mean(self, mu, phi, power):
        shape = np.broadcast_shapes(np.shape(mu), np.shape(phi), np.shape(power))
        return np.array(np.broadcast_to(np.asarray(mu, float), shape))

    def var(self, mu, phi, power):
        return np.asarray(phi, float) * np.asarray(mu, float) ** np.asarray(power, float)

    # ------------------------------------------------------------------ derivatives
    def _derivs(self, x, mu, phi, power, order):
        shape, (y, m, f, p) = _flat(x, mu, phi, power)
        n = y.size
        pos = y > 0
        # series moments (0 where y = 0: a(0) = 1 does not depend on phi or p)
        z = {key: np.zeros(n) for key in ("Ej", "Vj", "Ep", "Vp", "Cjp", "E2p")}
        if np.any(pos):
            s = _series(y[pos], f[pos], p[pos], order=order)
            for key in z:
                if key in s:
                    z[key][pos] = s[key]
        with np.errstate(all="ignore"):
            th, th_p, th_pp, ka, ka_p, ka_pp = _power_terms(m, p)
            k = _k(p)
            k1 = -1.0 / (p - 1.0) ** 2
            expo = (y * th - ka) / f
            q = f * np.exp((p - 1.0) * np.log(m))   # φ μ^(p−1) = s/(p−1): on y's scale
            r = (y / m - 1.0) / q                   # (y − μ)/(φ μ^p), no μ^p overflow
            g = {"mu": r,
                 "phi": -expo / f - (1.0 + k) / f * z["Ej"],
                 "power": (y * th_p - ka_p) / f + z["Ep"]}
            if order < 2:
                return shape, g, None
            h = {("mu", "mu"): -(1.0 + p * (y / m - 1.0)) / q / m,
                 ("mu", "phi"): -r / f,
                 ("mu", "power"): -r * np.log(m),
                 ("phi", "phi"): 2.0 * expo / f**2 + (1.0 + k) / f**2 * z["Ej"]
                 + (1.0 + k) ** 2 / f**2 * z["Vj"],
                 ("phi", "power"): -(y * th_p - ka_p) / f**2 - k1 / f * z["Ej"]
                 - (1.0 + k) / f * z["Cjp"],
                 ("power", "power"): (y * th_pp - ka_pp) / f + z["E2p"] + z["Vp"]}
        return shape, g, h

    def score(self, x, mu, phi, power):
        r"""∂ log p/∂(μ, φ, p): :math:`(y-\mu)/(\phi\mu^p)` in μ; φ and p by differentiating
        the series under the sum (weighted moments of ∂ log W_j)."""
        shape, g, _ = self._derivs(x, mu, phi, power, 1)
        return {k: v.reshape(shape) for k, v in g.items()}

    def hessian(self, x, mu, phi, power):
        r"""Second derivatives: closed forms in μ; ∂² log a = E_w[∂² log W_j] + Cov_w in
        φ and p."""
        shape, _, h = self._derivs(x, mu, phi, power, 2)
        return {k: v.reshape(shape) for k, v in h.items()}

    # ------------------------------------------------------------------ fitting
    def mle(self, x, weights=None, fixed=None):
        r"""Maximum likelihood with μ̂ = the weighted mean ȳ (the μ-score
        Σ w(y−μ)/(φμ^p) vanishes there whatever φ and p), then damped Newton on the
        profile in u = log φ and v = logit(p − 1) (each step from the series' exact score
        and Hessian, chained through φ = e^u, p = 1 + expit(v)), from the moment start
        φ₀ = s²/ȳ^{p₀}, p₀ = 1.5. With μ fixed: None (the generic engine fits it).

        All-zero data have no MLE (μ → 0 or φ → ∞ send P(0) → 1):
        :class:`~mlekit.errors.NoMaximumError`, as is a power whose likelihood still rises
        at an end of (1, 2) (|v| > 30): towards 1 on lattice data, towards 2 (the Gamma
        limit) on data without zeros."""
        fixed = check_fixed(self, fixed)
        x, w, total = prepare(x, weights)
        if not np.all(np.isfinite(x)) or np.any(x < 0):
            return None  # the support check names the row
        carried = x if w is None else x[w > 0]
        if carried.size and np.all(carried == 0) and not {"mu", "phi"} <= set(fixed):
            raise NoMaximumError(
                "Tweedie: every observation is 0, so the likelihood rises without bound as "
                "mu -> 0 (or phi -> infinity): P(Y = 0) = exp(-mu^(2-p) / (phi (2-p))) -> 1 "
                "and the MLE does not exist; a model for all-zero data is the point mass at 0")
        if "mu" in fixed:
            return None
        mu = wsum(w, x) / total
        if not 0 < mu < np.inf:
            return None
        free = [n for n in ("phi", "power") if n not in fixed]
        if not free:
            return MLEstimate({"mu": float(mu), "phi": fixed["phi"], "power": fixed["power"]},
                              method="closed form (mu = weighted mean)")
        if "phi" in fixed:
            return self._profile_fit(x, w, total, mu, fixed, free)
        # Tweedie is closed under scaling: Y/c ~ Tw(μ/c, φ c^(p−2), p). Fit u = y/ȳ (mean 1,
        # any data scale from 1e-300 to 1e300), then φ = φ_u ȳ^(2−p) and each y > 0 adds
        # the Jacobian −log ȳ to the log-likelihood
        u = x / mu
        est = self._profile_fit(u, w, total, 1.0, fixed, free)
        if est is None:
            return None
        pw = est["power"]
        phi = float(np.exp(np.log(est["phi"]) + (2.0 - pw) * np.log(mu)))
        n_pos = wsum(w, (x > 0).astype(float))
        details = dict(est.details)
        details["llf"] = details["llf"] - n_pos * float(np.log(mu))
        return MLEstimate({"mu": float(mu), "phi": phi, "power": pw}, **details)

    def _profile_fit(self, x, w, total, mu, fixed, free):
        """Damped Newton over the free ones of (φ, p) at μ = ``mu`` (see :meth:`mle`)."""
        p0 = fixed.get("power", 1.5)
        var = wsum(w, (x - mu) ** 2) / total
        phi0 = fixed.get("phi", var / mu**p0 if 0 < var < np.inf else 1.0)

        def unpack(t):
            par = {"mu": mu, "phi": fixed.get("phi"), "power": fixed.get("power")}
            for name, v in zip(free, t, strict=True):
                par[name] = float(np.exp(v)) if name == "phi" else float(1.0 + expit(v))
            return par

        def objective(t):
            with np.errstate(all="ignore"):
                return -wsum(w, self.logpdf(x, **unpack(t))) / total

        def fun(t):
            par = unpack(t)
            _, g, h = self._derivs(x, par["mu"], par["phi"], par["power"], 2)
            ph, pw = par["phi"], par["power"]
            d1 = {"phi": ph, "power": (pw - 1.0) * (2.0 - pw)}   # dθ/du, dθ/dv
            d2 = {"phi": ph, "power": d1["power"] * (3.0 - 2.0 * pw)}
            grad = np.array([-wsum(w, g[n]) / total * d1[n] for n in free])
            hess = np.empty((len(free), len(free)))
            for i, a in enumerate(free):
                for j, b in enumerate(free):
                    hab = -wsum(w, h[(a, b) if (a, b) in h else (b, a)]) / total
                    hess[i, j] = hab * d1[a] * d1[b] + (grad[i] / d1[a] * d2[a] if i == j
                                                        else 0.0)
            return objective(t), grad, hess

        start = np.array([np.log(phi0) if n == "phi" else float(np.log((p0 - 1.0) / (2.0 - p0)))
                          for n in free])
        bound = np.array([700.0 if n == "phi" else 30.0 for n in free])
        if free == ["phi"]:  # power fixed: one series pass per Newton step (see _phi_only)
            f_phi, obj_phi = self._phi_only(x, w, total, mu, float(fixed["power"]))
            theta, converged = damped_newton(f_phi, start, objective=obj_phi,
                                             bounds=(-bound, bound))
        else:
            theta, converged = damped_newton(fun, start, objective=objective,
                                             bounds=(-bound, bound))
        if "power" in free and abs(theta[free.index("power")]) >= 30.0:
            i = free.index("power")
            back = theta.copy()
            back[i] = np.sign(theta[i]) * 10.0   # power 1 + 4.5e-5 (or 2 − 4.5e-5)
            if theta[i] < 0 and objective(theta) < objective(back):
                raise NoMaximumError(
                    "Tweedie: the likelihood rises without bound as power -> 1 (phi = "
                    f"{unpack(theta)['phi']:.4g}): the data sit on a lattice {{0, phi, 2 phi, "
                    "...} (counts), where the Gamma summands become spikes; the MLE does not "
                    "exist. Fit a count family (Poisson, NegativeBinomial) or fix the power "
                    "(fixed={'power': ...})")
            if theta[i] > 0 and objective(theta) < objective(back):
                raise NoMaximumError(
                    "Tweedie: the likelihood rises towards power = 2, the Gamma limit (it is "
                    f"still rising at power = 2 - 1e-13, phi = {unpack(theta)['phi']:.4g}"
                    + ("; the data have no zeros" if not np.any(x == 0) else "")
                    + "), so the MLE of power does not exist in (1, 2). Fit family='gamma' "
                    "(that limit), or fix the power (fixed={'power': ...})")
            return None  # (the edge is not where the likelihood is highest: generic engine)
        est = unpack(theta)
        return MLEstimate(est, method="Newton on the profile in (log phi, logit(power - 1)), "
                          "mu = weighted mean", converged=bool(converged),
                          llf=-objective(theta) * total)

    @staticmethod
    def _phi_only(x, w, total, mu, power):
        r"""Objective and (value, gradient, Hessian) in u = log φ at fixed μ and power, each
        from ONE pass of the series (the general path takes the derivatives and the value
        in separate passes, with the power's moments too). With c = Σ w (yθ − κ) (θ, κ of
        μ and p; all rows) and ``lse`` = log Σ_j W_j (rows y > 0), in which φ enters only
        through log W_j = j (c_y − (1+k) u) − log j! − log Γ(jk):

        .. math::

            \ell(u) = \sum_{y>0} w\,(\mathrm{lse} - \log y) + c\,e^{-u}, \quad
            \ell' = -c\,e^{-u} - (1+k)\sum w\,\mathrm E_w[j], \quad
            \ell'' = c\,e^{-u} + (1+k)^2 \sum w\,\mathrm{Var}_w[j],

        the chain rule of the φ-score and φφ-Hessian of :meth:`_derivs`. The series is
        summed directly (not in Loader's form, which ``logpdf`` uses for the reported
        log-likelihood); value and derivatives come from the same sums, so the Newton
        steps and the line search compare like with like."""
        pos = x > 0
        yp = x[pos]
        wp = None if w is None else w[pos]
        k = _k(power)
        with np.errstate(all="ignore"):
            th, _, _, ka, _, _ = _power_terms(np.float64(mu), power)
            c = wsum(w, x * th - ka)
            slogy = wsum(wp, np.log(yp))
        pw = np.full(yp.size, power)

        def value(t, order):
            ph = float(np.exp(t[0]))
            s = _series(yp, np.full(yp.size, ph), pw, order=order, power_moments=False)
            return ph, s, wsum(wp, s["lse"]) - slogy + c / ph

        def objective(t):
            ll = value(t, 0)[2]
            return -ll / total if np.isfinite(ll) else np.inf

        def fun(t):
            ph, s, ll = value(t, 1)
            g = -c / ph - (1.0 + k) * wsum(wp, s["Ej"])
            h = c / ph + (1.0 + k) ** 2 * wsum(wp, s["Vj"])
            f = -ll / total if np.isfinite(ll) else np.inf
            return f, np.array([-g / total]), np.array([[-h / total]])

        return fun, objective

    # ------------------------------------------------------------------ separable fit
    def unit_deviance(self, x, mu, phi=None, power=1.5):
        r"""The Tweedie unit deviance (free of φ),

        .. math::

            d(y, \mu) = 2\Bigl(\frac{y^{2-p}}{(1-p)(2-p)} - \frac{y\,\mu^{1-p}}{1-p}
                + \frac{\mu^{2-p}}{2-p}\Bigr) \ge 0,

        zero at :math:`\mu = y` (:math:`y^{2-p} = 0` at y = 0): statsmodels'
        ``Tweedie(var_power=p).deviance`` per row. The separable route's mean model
        minimises :math:`d/(2\phi_0)` (bound to this by tests/families/test_tweedie.py)."""
        y, m = np.asarray(x, float), np.asarray(mu, float)
        p = np.asarray(power, float)
        with np.errstate(all="ignore"):
            ysat = np.where(y > 0, np.exp((2.0 - p) * np.log(np.where(y > 0, y, 1.0))), 0.0)
            e1 = np.exp((1.0 - p) * np.log(m))
            return 2.0 * (ysat / ((1.0 - p) * (2.0 - p)) - e1 * (y / (1.0 - p) - m / (2.0 - p)))

    def separable_mean_model(self, link: Any, fixed: dict, y: np.ndarray,
                             w: np.ndarray | None) -> _TweedieMeanModel | None:
        r"""The regression pipeline's hook for an exponential dispersion model: with the
        power fixed (and φ free, on an intercept) the mean's coefficients solve the
        deviance's score equations, which do not involve φ, so they are fitted alone on
        :class:`_TweedieMeanModel` (no series), and φ afterwards by
        :meth:`dispersion_fit` at the fitted means. None where that does not hold
        (power free, or φ fixed: then the generic joint fit runs). ``y``, ``w`` set the
        model's scale φ₀ = Σ w (y − ȳ)² / ȳ^p / Σ w (units only)."""
        if set(fixed) != {"power"}:
            return None
        p = float(fixed["power"])
        ww = np.ones(y.shape) if w is None else w
        mz, vz, s = _scaled_moments(y, ww)
        with np.errstate(all="ignore"):
            phi0 = float(np.exp(2.0 * np.log(s) + np.log(vz) - p * np.log(s * mz)))
        if not (np.isfinite(phi0) and phi0 > 0):
            phi0 = 1.0
        return _TweedieMeanModel(self, link, {}, power=p, scale=phi0)

    def dispersion_fit(self, y: np.ndarray, w: np.ndarray | None, mu: np.ndarray,
                       power: float) -> tuple[float, float, float] | None:
        r"""The MLE of φ at the means ``mu`` (per row) and a fixed power, in u = log φ:
        ``(u_hat, nll, d2)`` with the NLL :math:`-\sum w \log f(y; \mu, \phi, p)` and its
        second derivative in u there (the observed information), or None (no finite fit).

        As in :meth:`_phi_only`, :math:`\ell(u) = S(u) - \sum_{y>0} w\log y + c\,e^{-u}` with
        :math:`S = \sum_{y>0} w\,\mathrm{lse}`, in which u enters only through
        :math:`\log z = \ldots - (1+k)u`, so
        :math:`S^{(m)}(u) = (-(1+k))^m \sum w\,\kappa_m` with :math:`\kappa_m` the
        cumulants of j under the series' weights (:math:`\kappa_1 = \mathrm E_w[j]`,
        :math:`\kappa_2 = \mathrm{Var}_w[j]`, :math:`\kappa_3`, :math:`\kappa_4`). One
        series pass at :math:`u_0` gives :math:`S` to fourth order; with the exact
        :math:`c\,e^{-u}` that is a model of ℓ whose maximiser, value and curvature are
        found without further passes, exact to :math:`O(\delta^5)`, :math:`O(\delta^4)`,
        :math:`O(\delta^3)` in :math:`\delta = \hat u - u_0`: it is accepted when
        :math:`|\delta| \le 0.01` (then below 1e-8, 1e-12 and 1e-6 relative); otherwise
        the model's maximiser is the next :math:`u_0`. On many rows (n >= 80,000) the first
        :math:`u_0` is the MLE on every k-th row (k ~ 32; Newton, ~1/32 of a pass a step),
        within a few standard errors of :math:`\hat u`, so one full pass usually
        suffices. Rows whose series ``logpdf`` sums in Loader's form (very large y/φ)
        get the NLL from ``logpdf`` itself (one more pass)."""
        y = np.asarray(y, float)
        mu = np.broadcast_to(np.asarray(mu, float), y.shape)
        total = float(y.size if w is None else np.sum(w))
        if not (total > 0 and np.all(np.isfinite(mu)) and np.all(mu > 0)):
            return None
        ww = np.ones(y.shape) if w is None else w
        with np.errstate(all="ignore"):
            pear = float(np.sum(ww * (y - mu) ** 2 / mu**power) / total)
        u0 = float(np.log(pear)) if np.isfinite(pear) and pear > 0 else 0.0
        bound = (np.array([-700.0]), np.array([700.0]))
        n = y.size
        m = max(n // 32, 10_000)
        if n >= 8 * m:  # (a subsample start: ~1/32 of a pass a step)
            rows = np.arange(int(np.random.default_rng(0).integers(n // m)), n, n // m)
            ws = None if w is None else w[rows]
            tot = float(rows.size if ws is None else np.sum(ws))
            fun, obj = self._phi_only(y[rows], ws, tot, mu[rows], power)
            try:
                t, ok = damped_newton(fun, np.array([u0]), objective=obj, bounds=bound,
                                      gtol=1e-12)
                if ok and np.isfinite(t[0]):
                    u0 = float(t[0])
            except Exception:  # (the full-data passes below start from the moments)
                pass
        pos = y > 0
        yp = y[pos]
        wp = None if w is None else w[pos]
        k1 = 1.0 + _k(power)
        with np.errstate(all="ignore"):
            e1 = np.exp((1.0 - power) * np.log(mu))     # θ = e1/(1−p), κ = e1 μ/(2−p)
            c = wsum(w, e1 * (y / (1.0 - power) - mu / (2.0 - power)))
            slogy = wsum(wp, np.log(yp))
        pw = np.full(yp.size, power)
        u = u0
        for _ in range(60):
            ser = _series_threads(yp, np.full(yp.size, float(np.exp(u))), pw, order=3,
                                  power_moments=False, keys=("lse", "Ej", "Vj", "K3", "K4"))
            S = [wsum(wp, ser["lse"]) - slogy] + [
                (-k1) ** i * wsum(wp, ser[key])
                for i, key in enumerate(("Ej", "Vj", "K3", "K4"), start=1)]
            if not all(np.isfinite(v) for v in S) or not np.isfinite(c):
                return None

            def model(d, S=S, u=u, fact=(1.0, 1.0, 2.0, 6.0, 24.0)):
                """The NLL in u = u0 + d and its first two derivatives (the Taylor model)."""
                e = c * float(np.exp(-(u + d)))
                ll = sum(S[i] * d**i / fact[i] for i in range(5)) + e
                g = sum(S[i] * d ** (i - 1) / fact[i - 1] for i in range(1, 5)) - e
                h = sum(S[i] * d ** (i - 2) / fact[i - 2] for i in range(2, 5)) + e
                return -ll, -g, -h

            d, ok = 0.0, False
            for _ in range(100):
                _, g, h = model(d)
                if not h > 0:
                    break
                step = float(np.clip(-g / h, -0.5, 0.5))
                d += step
                if abs(step) <= 1e-15 * max(1.0, abs(u + d)):
                    ok = True
                    break
            if not ok:  # (the model is not convex there: a plain Newton step at u0)
                _, g0, h0 = model(0.0)
                if not h0 > 0:
                    break
                d = float(np.clip(-g0 / h0, -1.0, 1.0))
            if ok and abs(d) <= 0.01:
                nll, _, h = model(d)
                u_hat = u + d
                return u_hat, self._exact_nll(y, w, mu, power, u_hat, nll), h
            u = float(np.clip(u + float(np.clip(d, -1.0, 1.0)), -700.0, 700.0))
        # (a curvature that is not positive, a step that does not settle): damped Newton
        fun, obj = self._phi_only(y, w, total, mu, power)
        try:
            t, ok = damped_newton(fun, np.array([u0]), objective=obj, bounds=bound)
        except Exception:
            return None
        if not ok:
            return None
        f, _, h = fun(t)
        u_hat = float(t[0])
        return u_hat, self._exact_nll(y, w, mu, power, u_hat, f * total), float(h[0, 0]) * total

    def _exact_nll(self, y, w, mu, power, u_hat, nll):
        """``nll`` (the direct series sum of :meth:`_phi_only`), or ``−Σ w logpdf`` where
        ``logpdf`` sums some row's series in Loader's form at φ = e^u_hat (its pieces above
        ``_LOADER_SIZE``: very large y/φ), so that the NLL is always the family's."""
        pos = y > 0
        k = _k(power)
        with np.errstate(all="ignore"):
            jc = np.maximum(1.0, np.round(np.exp((2.0 - power) * np.log(y[pos]) - u_hat
                                                 - np.log(2.0 - power))))
            size = jc * (1.0 + k) * np.log(jc * (1.0 + k) + np.e)
        if not np.any(size > _LOADER_SIZE):
            return float(nll)
        lp = self.logpdf(y, mu, float(np.exp(u_hat)), power)
        return float(-wsum(w, lp))

    def _symbolic(self):
        raise NotImplementedForFamily(
            "Tweedie has no closed symbolic density: for 1 < power < 2 it is an infinite "
            "series (Dunn & Smyth) with a point mass at 0; its numbers (logpdf, score, "
            "hessian) come from the series in mlekit.families.tweedie (derive works from "
            "Tweedie.derivation_density, the series kept as the function a(y, phi, p))")

    def derivation_density(self):
        r"""The density for :func:`mlekit.derive.derive`: the exponential-dispersion form
        with the series kept whole as a SymPy function :math:`a(y, \phi, p)`,

        .. math::

            \log p(y;\,\mu,\phi,p) = \frac{1}{\phi}\Bigl(\frac{y\,\mu^{1-p}}{1-p}
                - \frac{\mu^{2-p}}{2-p}\Bigr) + \log a(y, \phi, p),

        one formula for the atom and the continuous part: :math:`a(0, \phi, p) = 1` gives
        :math:`\log P(Y=0) = -\mu^{2-p}/(\phi(2-p))`. ``a`` is a SymPy
        ``implemented_function`` whose numbers come from this file's series
        (:func:`_log_a`), so ``lambdify`` and ``evalf`` evaluate it and the derivation's
        ``nll`` is the family's; ``log a`` is evaluated as such (``_log_imp_``), never as
        the log of an exponential that could overflow. Not :meth:`sympy_density`: the torch
        compiler, the combinators and the symbolic checks need a closed density and keep
        refusing Tweedie by name (``has_symbolic_density`` stays False)."""
        return _tweedie_derivation_density()


def _log_a(y, phi, power):
    r"""log a(y, φ, p) of the Dunn–Smyth series (elementwise, broadcast): 0 at y = 0
    (a(0) = 1), ``log Σ_j W_j − log y`` above 0, NaN below 0 or where undefined."""
    with np.errstate(all="ignore"):
        y, f, p = np.broadcast_arrays(*(np.asarray(v, float) for v in (y, phi, power)))
        out = np.where(y == 0, 0.0, np.nan)
        pos = (y > 0) & np.isfinite(y)
        if np.any(pos):
            s = _series(y[pos].ravel(), f[pos].ravel(), p[pos].ravel())
            out[pos] = s["lse"] - np.log(y[pos])
    return out if out.ndim else float(out)


_DERIVATION_DENSITY: list = []


def _tweedie_derivation_density():
    """Build (once) the :class:`SymbolicDensity` of :meth:`TweedieFamily.derivation_density`."""
    if _DERIVATION_DENSITY:
        return _DERIVATION_DENSITY[0]
    import sympy as sp
    from sympy.utilities.lambdify import implemented_function

    from .base import SymbolicDensity

    def _a(y, phi, power):
        return np.exp(_log_a(y, phi, power))

    a = implemented_function("a", _a)
    a._log_imp_ = implemented_function("log_a", _log_a)  # log a without exp (derive)
    y = sp.Symbol("y", **NonNegative.sympy_assumptions)
    mu, phi = sp.Symbol("mu", positive=True), sp.Symbol("phi", positive=True)
    p = sp.Symbol("power", **PowerInterval.sympy_assumptions)
    expo = (y * mu ** (1 - p) / (1 - p) - mu ** (2 - p) / (2 - p)) / phi
    ay = a(y, phi, p)
    sd = SymbolicDensity(expr=ay * sp.exp(expo), x=y,
                         params={"mu": mu, "phi": phi, "power": p},
                         log_expr=expo + sp.log(ay),
                         display=(ay, sp.exp(expo, evaluate=False)))
    _DERIVATION_DENSITY.append(sd)
    return sd


Tweedie = TweedieFamily()
