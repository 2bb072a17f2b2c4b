r"""Student's t family, location-scale form: degrees of freedom ``nu``, ``mu``, ``sigma``.

.. math::

    p(x;\,\nu,\mu,\sigma) = \frac{\Gamma\!\left(\frac{\nu+1}{2}\right)}
        {\Gamma\!\left(\frac{\nu}{2}\right)\sqrt{\nu\pi}\,\sigma}
        \left(1+\frac{1}{\nu}\left(\frac{x-\mu}{\sigma}\right)^{2}\right)^{-\frac{\nu+1}{2}},
    \qquad x\in\mathbb{R},\ \nu>0,\ \mu\in\mathbb{R},\ \sigma>0 .

scipy's ``t`` uses ``df = nu``, ``loc = mu``, ``scale = sigma``. The constant is
computed as ``−log B(ν/2, 1/2) − ½ log ν`` with an asymptotic series for
large ν (accurate to ~1e-16 where scipy's ``betaln`` is off by ~1e-9).

MLE: damped Newton's method on all free parameters (ν and σ on the log
scale) with the analytic score and Hessian, a Levenberg shift where the
Hessian is not negative definite and a backtracking line search, started
from the median, a MAD-based scale and ν = 5; on large samples an evenly
strided subsample supplies the start. ``nu`` is kept in [1e-3, 1e10] (Newton
up to 1e6; if the likelihood still rises there, (μ, σ) are refitted at
ν = 1e10 and ν ∈ {1e6 … 1e10} compared by the NLL); a fit
at the upper bound means the data look Normal (the likelihood increases
towards ν = ∞, and at 1e10 it is within ~n/1e10 of its supremum). With
``fixed={"nu": 1}`` this is the Cauchy fit. Exactly tied data can make the
likelihood unbounded (σ → 0 with small ν); more than half tied for Cauchy is
reported as a DataError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln, polygamma, stdtr, stdtrit

from ..domains import Positive, Real
from ..errors import DataError, NotImplementedForFamily
from ._mle_tools import (
    MLEstimate,
    all_equal,
    check_fixed,
    newton_fit,
    prepare,
    solver_extras,
    weighted_median,
    wsum,
)
from ._rowmodel import _MeanModel
from .base import Family, Parameter, SymbolicDensity

NU_BOUNDS = (1e-3, 1e10)
_NU_NEWTON_MAX = 1e6  # beyond: compare a few ν by the NLL (see _fit_t)
_LOG_GAMMA_HALF = 0.5 * float(np.log(np.pi))
_LOG_2PI = float(np.log(2.0 * np.pi))


def _dpsi_half(x):
    """ψ(x + ½) − ψ(x), by its asymptotic series for large x (no cancellation)."""
    x = np.asarray(x, float)
    r = 1.0 / np.where(x > 100.0, x, 200.0)  # powers of 1/x: no overflow up to x = 1e308
    r2 = r * r
    series = r * (0.5 + r * (0.125 + r2 * (-1.0 / 64 + r2 / 128)))
    xd = np.where(x > 100.0, 1.0, x)
    return np.where(x > 100.0, series, digamma(xd + 0.5) - digamma(xd))


def _dtri_half(x):
    """ψ₁(x) − ψ₁(x + ½), by its asymptotic series for large x."""
    x = np.asarray(x, float)
    r = 1.0 / np.where(x > 100.0, x, 200.0)
    r2 = r * r
    series = r2 * (0.5 + r * (0.25 + r2 * (-1.0 / 16 + r2 * 3.0 / 64)))
    xd = np.where(x > 100.0, 1.0, x)
    return np.where(x > 100.0, series, polygamma(1, xd) - polygamma(1, xd + 0.5))


def _log_beta_half(a):
    """log B(a, ½) = lnΓ(a) + lnΓ(½) − lnΓ(a + ½), accurate for every a > 0.

    scipy's ``betaln`` loses ~1e-9 (absolute) near a = 1e6, which is visible in a
    Student-t likelihood with large ν; above a = 100 the difference
    lnΓ(a + ½) − lnΓ(a) = ½ log a − 1/(8a) + 1/(192a³) − 1/(640a⁵) is used.
    """
    a = np.asarray(a, float)
    big = a > 100.0
    ab = np.where(big, a, 200.0)
    series = 0.5 * np.log(ab) + _half_shift_tail(ab)
    asm = np.where(big, 1.0, a)
    direct = gammaln(asm + 0.5) - gammaln(asm)
    return _LOG_GAMMA_HALF - np.where(big, series, direct)


def _half_shift_tail(a):
    """lnΓ(a + ½) − lnΓ(a) − ½ log a = −1/(8a) + 1/(192a³) − 1/(640a⁵), a > 100.

    In powers of 1/a, so a = 1e300 neither overflows nor warns.
    """
    r = 1.0 / a
    r2 = r * r
    return r * (-0.125 + r2 * (1.0 / 192 - r2 / 640))


def _bshape(*a):
    return np.broadcast_shapes(*(np.shape(v) for v in a))


# ---------------------------------------------------------------- fast path: link-space row model
@dataclass
class StudentTModel(_MeanModel):
    r"""Student t errors (robust regression): ``y = mu + sigma t_nu``.

    Nuisance slots ``log sigma`` and ``log nu`` (``fixed={"nu": 4}`` holds nu).
    With ``r = y - mu`` and ``D = nu sigma^2 + r^2``:

    .. math:: \ell = -\log\Gamma(\tfrac{\nu+1}{2}) + \log\Gamma(\tfrac{\nu}{2})
              + \tfrac12\log(\nu\pi) + \log\sigma + \tfrac{\nu+1}{2}\log(1 + r^2/(\nu\sigma^2))

    Every first and second derivative, those in ``log nu`` included, is analytic.
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("sigma", "nu")
    default_link: ClassVar[str | None] = "identity"
    allowed_links: ClassVar[tuple[str, ...]] = ("identity", "log")

    def init_eta(self, y, w, aux):
        med = float(np.median(y))
        mad = float(np.median(np.abs(y - med))) * 1.4826 or 1.0
        start = [float(self.link.link(np.asarray(med if self.link.name == "identity"
                                                 else max(med, 1e-3))))]
        if "sigma" not in self.fixed:
            start.append(np.log(mad))
        if "nu" not in self.fixed:
            start.append(np.log(5.0))
        return np.array(start)

    def _parts(self, y, mu, sigma, nu, order):
        """ll and first derivatives in (mu, log sigma, log nu) for per-row arrays."""
        r = y - mu
        s2 = sigma * sigma
        D = nu * s2 + r * r
        ll = (gammaln(0.5 * (nu + 1.0)) - gammaln(0.5 * nu) - 0.5 * np.log(nu * np.pi)
              - np.log(sigma) - 0.5 * (nu + 1.0) * np.log1p(r * r / (nu * s2)))
        dmu = (nu + 1.0) * r / D
        du = -1.0 + (nu + 1.0) * r * r / D
        dnu = (0.5 * digamma(0.5 * (nu + 1.0)) - 0.5 * digamma(0.5 * nu) - 0.5 / nu
               - 0.5 * np.log1p(r * r / (nu * s2)) + 0.5 * (nu + 1.0) * r * r / (nu * D))
        return ll, dmu, du, nu * dnu, r, s2, D

    def _loglik(self, y, mu, nu_vals, aux, order):
        sigma, nu = nu_vals["sigma"], nu_vals["nu"]
        ll, dmu, du, dv, r, s2, D = self._parts(y, mu, sigma, nu, order)
        est = self._estimated()
        grads = [dmu]
        idx = {}
        for name in est:
            idx[name] = len(grads)
            grads.append(du if name == "sigma" else dv)
        if order < 2:
            return ll, grads, {}
        hess = {(0, 0): (nu + 1.0) * (r * r - nu * s2) / D**2}
        if "sigma" in idx:
            a = idx["sigma"]
            hess[(a, a)] = -(nu + 1.0) * r * r * 2.0 * nu * s2 / D**2
            hess[(0, a)] = -(nu + 1.0) * r * 2.0 * nu * s2 / D**2
        if "nu" in idx:
            # exact, with v = log nu, r2 = r^2, G = nu D = nu^2 s2 + nu r2:
            #   d2l/dnu2 = psi'((nu+1)/2)/4 - psi'(nu/2)/4 + 1/(2 nu^2) + r2/(2 nu D)
            #              + r2 (G - (nu+1) dG/dnu) / (2 G^2),     dG/dnu = 2 nu s2 + r2
            #   d2l/dv2 = nu^2 d2l/dnu2 + nu dl/dnu;  d/dv (dl/dmu) = nu (r/D - (nu+1) r s2/D^2)
            #   d/dv (dl/dlog sigma) = nu (r2/D - (nu+1) r2 s2/D^2)
            b = idx["nu"]
            r2 = r * r
            G = nu * D
            d2nu = (0.25 * polygamma(1, 0.5 * (nu + 1.0)) - 0.25 * polygamma(1, 0.5 * nu)
                    + 0.5 / (nu * nu) + 0.5 * r2 / G
                    + 0.5 * r2 * (G - (nu + 1.0) * (2.0 * nu * s2 + r2)) / (G * G))
            hess[(b, b)] = nu * nu * d2nu + dv
            hess[(0, b)] = nu * (r / D - (nu + 1.0) * r * s2 / D**2)
            if "sigma" in idx:
                hess[(idx["sigma"], b)] = nu * (r2 / D - (nu + 1.0) * r2 * s2 / D**2)
        return ll, grads, hess

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        v = self.nuisance_values(eta)
        return {"nu": v["nu"] * np.ones_like(mu), "mu": mu, "sigma": v["sigma"] * np.ones_like(mu)}


class StudentTFamily(Family):
    r"""StudentT(nu, mu, sigma): location-scale t with ν > 0 degrees of freedom.

    .. math:: p(x) = \frac{\Gamma(\frac{\nu+1}{2})}{\Gamma(\frac{\nu}{2})\sqrt{\nu\pi}\,\sigma}
        \Big(1+\frac{z^2}{\nu}\Big)^{-\frac{\nu+1}{2}}, \quad z = \frac{x-\mu}{\sigma}

    The mean (``mu``) exists for ν > 1, the variance ``σ²ν/(ν−2)`` for ν > 2
    (it is +inf for 1 < ν ≤ 2).

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> round(float(mk.StudentT(nu=1.0, mu=0, sigma=1).logpdf(0.0)), 4)   # Cauchy: -log pi
    -1.1447
    >>> x = mk.StudentT(nu=4.0, mu=0.5, sigma=1.5).sample(2000, rng=0)
    >>> res = mk.StudentT.fit(x)
    >>> {k: round(v, 2) for k, v in res.params.items()}
    {'nu': 4.26, 'mu': 0.48, 'sigma': 1.48}
    """

    name = "studentt"
    title = "StudentT"
    censored_mass_escapes = True
    censored_mass_concentrates = True
    #: the hand-written link-space row model (regression fast path)
    row_model = StudentTModel
    parameters = (Parameter("nu", Positive, r"\nu"), Parameter("mu", Real, r"\mu"),
                  Parameter("sigma", Positive, r"\sigma"))
    support = Real
    mean_parameter = "mu"
    canonical_link = "identity"  # robust regression: t errors
    #: what ``mle`` runs (read by mlekit.estimate for ``FitResult.method``)
    mle_method: ClassVar[str] = "damped Newton (analytic Hessian, line search)"
    example_params: ClassVar[dict[str, Any]] = {"nu": 4.5, "mu": 0.5, "sigma": 1.5}

    def logpdf(self, x, nu, mu, sigma):
        z = (x - mu) / sigma
        return (_t_const(nu) - np.log(sigma) - 0.5 * (nu + 1.0) * np.log1p(z * z / nu))

    def cdf(self, x, nu, mu, sigma):
        return stdtr(nu, (x - mu) / sigma)

    def logsf(self, x, nu, mu, sigma):
        with np.errstate(divide="ignore"):
            return np.log(stdtr(nu, -(x - mu) / sigma))

    def ppf(self, q, nu, mu, sigma):
        # scipy's stdtrit(nu, 0) returns +inf, not -inf: set both ends explicitly
        q = np.asarray(q, float)
        t = stdtrit(nu, np.where((q > 0) & (q < 1), q, 0.5))
        t = np.where(q == 0, -np.inf, np.where(q == 1, np.inf, t))
        return mu + sigma * np.where(np.isnan(q), np.nan, t)

    def sample(self, size, rng, nu, mu, sigma):
        out = tuple(size) + _bshape(nu, mu, sigma)
        return mu + sigma * rng.standard_t(np.broadcast_to(nu, out))

    def mean(self, nu, mu, sigma):
        nu = np.asarray(nu, float)
        if np.any(nu <= 1):
            raise NotImplementedForFamily("StudentT: the mean does not exist for nu <= 1 "
                                          "(mu is then the median)")
        return np.broadcast_to(np.asarray(mu, float), _bshape(nu, mu, sigma)) * 1.0

    def var(self, nu, mu, sigma):
        nu = np.asarray(nu, float)
        if np.any(nu <= 1):
            raise NotImplementedForFamily("StudentT: the variance is undefined for nu <= 1")
        with np.errstate(divide="ignore"):
            v = np.where(nu > 2, np.asarray(sigma, float) ** 2 * nu / np.maximum(nu - 2.0, 0),
                         np.inf)
        return np.broadcast_to(v, _bshape(nu, mu, sigma)) * 1.0

    def entropy(self, nu, mu, sigma):
        nu = np.asarray(nu, float)
        h = 0.5 * (nu + 1.0) * _dpsi_half(0.5 * nu) - _t_const(nu) + np.log(sigma)
        return np.broadcast_to(h, _bshape(nu, mu, sigma)) * 1.0

    def score(self, x, nu, mu, sigma):
        z = (x - mu) / sigma
        z2 = z * z
        d = nu + z2
        return {
            "nu": (0.5 * _dpsi_half(0.5 * nu)
                   - 0.5 * np.log1p(z2 / nu) + 0.5 * (z2 - 1.0) / d),
            "mu": (nu + 1.0) * z / (sigma * d),
            "sigma": nu * (z2 - 1.0) / (sigma * d),
        }

    def hessian(self, x, nu, mu, sigma):
        z = (x - mu) / sigma
        z2 = z * z
        q = 1.0 / (nu + z2)
        n1 = nu + 1.0
        s2 = sigma * sigma
        return {
            ("nu", "nu"): (-0.25 * _dtri_half(0.5 * nu)
                           + 0.5 / nu - q + 0.5 * n1 * q * q),
            ("nu", "mu"): z * q / sigma * (1.0 - n1 * q),
            ("nu", "sigma"): (1.0 - (2.0 * nu + 1.0) * q + nu * n1 * q * q) / sigma,
            ("mu", "mu"): n1 * (z2 - nu) * q * q / s2,
            ("mu", "sigma"): -2.0 * nu * n1 * z * q * q / s2,
            ("sigma", "sigma"): -(nu / s2) * (1.0 + n1 * (z2 - nu) * q * q),
        }

    def fisher_information(self, nu, mu, sigma):
        nu, _, s = np.broadcast_arrays(np.asarray(nu, float), np.asarray(mu, float),
                                       np.asarray(sigma, float))
        info = np.zeros((*nu.shape, 3, 3))
        info[..., 0, 0] = (0.25 * _dtri_half(0.5 * nu)
                           - (nu + 5.0) / (2.0 * nu * (nu + 1.0) * (nu + 3.0)))
        info[..., 0, 2] = info[..., 2, 0] = -2.0 / (s * (nu + 1.0) * (nu + 3.0))
        info[..., 1, 1] = (nu + 1.0) / ((nu + 3.0) * s * s)
        info[..., 2, 2] = 2.0 * nu / ((nu + 3.0) * s * s)
        return info

    def mle(self, x, weights=None, fixed=None):
        fixed = check_fixed(self, fixed)
        if len(fixed) == 3:
            return dict(fixed)
        x, w, total = prepare(x, weights)
        return _fit_t(self, x, w, total, fixed)

    def mle_boundary(self, estimates) -> tuple[str, ...]:
        """Edges of the MLE that the domain ν > 0 does not show (read by ``estimate.fit``).

        ``mle`` caps ν at 1e10: an estimate there is no interior maximum but a likelihood
        still rising towards ν = ∞ (the Normal limit), so no finite MLE of ν exists and
        its standard error means nothing. ``estimates`` holds the free parameters only.
        """
        nu = estimates.get("nu")
        if nu is not None and float(np.max(nu)) >= NU_BOUNDS[1]:
            return (f"nu = {float(np.max(nu)):g} (at the cap; the likelihood still rises "
                    "towards nu = inf, the Normal limit)",)
        return ()

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        nu, mu, sigma = s["nu"], s["mu"], s["sigma"]
        z = (x - mu) / sigma
        expr = (sp.gamma((nu + 1) / 2) / (sp.gamma(nu / 2) * sp.sqrt(nu * sp.pi) * sigma)
                * (1 + z**2 / nu) ** (-(nu + 1) / 2))
        log_expr = (sp.loggamma((nu + 1) / 2) - sp.loggamma(nu / 2) - sp.log(nu * sp.pi) / 2
                    - sp.log(sigma) - (nu + 1) / 2 * sp.log(1 + z**2 / nu))
        u = {"evaluate": False}  # Γ((ν+1)/2)/(Γ(ν/2)√(νπ)σ) · (1 + z²/ν)^{−(ν+1)/2}
        half = sp.Mul(sp.Add(nu, 1, **u), sp.Pow(2, -1, **u), **u)
        display = (sp.Mul(sp.gamma(half), sp.Pow(sp.Mul(sp.gamma(nu / 2), sp.sqrt(
            sp.Mul(nu, sp.pi, **u), **u), sigma, **u), -1, **u), **u),
            sp.Pow(1 + z**2 / nu, sp.Mul(-1, half, **u), **u))
        return SymbolicDensity(expr, x, s, log_expr, display=display)


def _fit_t(family, x, w, total, fixed, title=None):
    """Shared by StudentT and Cauchy (``fixed = {"nu": 1}``, ``title="Cauchy"``)."""
    title = title or family.title
    if "sigma" not in fixed and all_equal(x, w):
        raise DataError(f"{title}: all observations are equal, so the MLE of sigma is 0 "
                        "(it does not exist)")
    mu0 = fixed.get("mu", weighted_median(x, w))
    dev = np.abs(x - mu0)
    mad = weighted_median(dev, w)
    if not mad > 0:
        spread = wsum(w, dev) / total
        if not spread > 0:
            raise DataError(f"{title}: all observations are equal, so the MLE of sigma is "
                            "0 (it does not exist)")
        # at least half of the weight sits on one value m: for fixed ν the likelihood
        # ~ σ^{ν(W − w_m) − w_m} as σ → 0, unbounded when w_m/W > ν/(ν + 1)
        tied = wsum(w, (x == mu0).astype(float)) / total
        if "nu" in fixed and tied > fixed["nu"] / (fixed["nu"] + 1.0):
            raise DataError(f"{title}: more than half of the observations are equal to "
                            f"{mu0:g}; the likelihood is unbounded as sigma -> 0 (the MLE does "
                            "not exist)")
        mad = spread
    # Solve on standardised data u = (x − m)/c (m the median, c the MAD): the t family
    # is location-scale equivariant, so (μ, σ) = (m + c μ_u, c σ_u) exactly, and data
    # of any magnitude (1e±300) neither overflow (z², σ²) nor underflow in the sums.
    c = float(mad)
    u = (x - mu0) / c
    fixed_u = dict(fixed)
    if "mu" in fixed_u:
        fixed_u["mu"] = (fixed_u["mu"] - mu0) / c
    if "sigma" in fixed_u:
        fixed_u["sigma"] = fixed_u["sigma"] / c
    std = _fit_t_standard(family, u, w, total, fixed_u)
    out = MLEstimate({**std, "mu": mu0 + c * std["mu"], "sigma": c * std["sigma"]})
    out.update(fixed)  # held values exactly as given
    if std["nu"] < _NU_NEWTON_MAX * (1.0 - 1e-9):
        out.details.update(_t_extras(u, w, total, std, c))
    return out


def _t_extras(u, w, total, std, c) -> dict:
    """ℓ and the observed information at the estimate, from one pass of ``_t_derivs``
    on the standardised data u = (x − m)/c: ℓ(θ) = ℓ_u(θ_u) − W log c, and with
    μ = m + c μ_u, σ = c σ_u each μ or σ index divides the information by c."""
    nll, _, hess = _t_derivs(u, w, total, **{n: std[n] for n in ("nu", "mu", "sigma")})
    scale = {"nu": 1.0, "mu": 1.0 / c, "sigma": 1.0 / c}
    info = {(a, b): total * h * scale[a] * scale[b] for (a, b), h in hess.items()}
    return solver_extras(-total * (nll + np.log(c)), info)


def _fit_t_standard(family, x, w, total, fixed):
    """The t MLE on data already centred and scaled (median 0, MAD 1)."""
    start = {"nu": 5.0, "mu": 0.0, "sigma": 1.4826}
    log_names = ("nu", "sigma")
    bounds = {"nu": (float(np.log(NU_BOUNDS[0])), float(np.log(_NU_NEWTON_MAX)))}
    out = newton_fit(family, x, w, total, start, fixed, log_names=log_names,
                     log_bounds=bounds, derivs=_t_derivs, nll=_t_nll)
    if "nu" in fixed or out["nu"] < _NU_NEWTON_MAX * (1.0 - 1e-9):
        return out
    # The likelihood still rises at ν = 1e6: the data look Normal and the ν-derivatives
    # lose their digits beyond here. Refit (μ, σ) at ν = 1e10 and keep the best of a few
    # ν on the way by the (accurate) NLL itself.
    alt = newton_fit(family, x, w, total, out, {**fixed, "nu": NU_BOUNDS[1]},
                     log_names=log_names, derivs=_t_derivs, nll=_t_nll, big=x.size + 1)
    cands = [out] + [{**alt, "nu": v} for v in (1e7, 1e8, 1e9, NU_BOUNDS[1])]
    # at ν = 1e10 this is no interior maximum: see StudentTFamily.mle_boundary
    return min(cands, key=lambda p: _t_nll(x, w, total, **p))


def _t_const(nu):
    r"""log of the t constant, −log B(ν/2, ½) − ½ log ν.

    For ν > 200 it is written as −½ log 2π + [lnΓ(a+½) − lnΓ(a) − ½ log a] (a = ν/2),
    the tail series, so the two ~½ log ν terms cancel exactly and ν → ∞ gives the
    Normal's −½ log 2π (ν = 1e300 included).
    """
    nu = np.asarray(nu, float)
    big = nu > 200.0
    a = np.where(big, 0.5 * nu, 200.0)
    nus = np.where(big, 1.0, nu)
    return np.where(big, -0.5 * _LOG_2PI + _half_shift_tail(a),
                    -_log_beta_half(0.5 * nus) - 0.5 * np.log(nus))


#: |z| beyond which z² would overflow: log1p(z²/ν) is taken as 2 log|z| − log ν there
_Z_HUGE = 1e150


def _log1p_z2(z, nu):
    """log(1 + z²/ν) for any finite z (2 log|z| − log ν + log1p(ν/z²) where z² overflows:
    standardised data 1e±300 keep a finite NLL)."""
    az = np.abs(z)
    huge = az > _Z_HUGE  # (±inf too: the log is then +inf, an infinite NLL)
    if not np.any(huge):
        out = z * z
        out *= 1.0 / nu
        return np.log1p(out, out=out)
    zs = np.where(huge, 1.0, z)
    ah = np.where(huge, az, 1.0)
    with np.errstate(under="ignore"):
        tail = 2.0 * np.log(ah) - np.log(nu) + np.log1p((nu / ah) / ah)
    return np.where(huge, tail, np.log1p(zs * zs / nu))


def _t_nll(x, w, total, nu, mu, sigma):
    """Mean NLL from one pass: Σ w log1p(z²/ν)."""
    with np.errstate(over="ignore"):  # (a trial σ → 0: z = ±inf, the NLL +inf)
        z = (x - mu) * (1.0 / sigma)
    return float(-(_t_const(nu) - np.log(sigma))
                 + 0.5 * (nu + 1.0) * wsum(w, _log1p_z2(z, nu)) / total)


def _t_derivs(x, w, total, nu, mu, sigma):
    """Mean NLL, its gradient and Hessian from five weighted sums over the data.

    With z = (x − μ)/σ and q = 1/(ν + z²) (so z²q = 1 − νq), every derivative
    of log p is a combination of Σ log1p(z²/ν), Σ q, Σ q², Σ zq and Σ zq².
    """
    with np.errstate(over="ignore"):  # (a trial σ → 0: z = ±inf)
        z = (x - mu) * (1.0 / sigma)
    huge = np.abs(z) > _Z_HUGE  # (z² would overflow: q = 1/(ν + z²) is 0 there)
    s_l = wsum(w, _log1p_z2(z, nu)) / total
    if np.any(huge):
        z = np.where(huge, np.sign(z) * _Z_HUGE, z)
    z2 = z * z
    q = z2 + nu
    np.reciprocal(q, out=q)
    s_q = wsum(w, q) / total
    # (z² − 1)q and (z² − ν)q² summed directly: no cancellation when ν is large (at a
    # clamped |z| = 1e150 they are 1 and 0 to double precision, as at the true z)
    a_zm1 = wsum(w, (z2 - 1.0) * q) / total
    z2 -= nu
    z2 *= q
    z2 *= q
    a_zmnu = wsum(w, z2) / total
    zq = z * q
    s_zq = wsum(w, zq) / total
    zq *= q
    s_zq2 = wsum(w, zq) / total
    q *= q
    s_q2 = wsum(w, q) / total
    n1 = nu + 1.0
    dpsi = float(_dpsi_half(0.5 * nu))
    ll = _t_const(nu) - np.log(sigma) - 0.5 * n1 * s_l
    g = {
        "nu": 0.5 * dpsi - 0.5 * s_l + 0.5 * a_zm1,
        "mu": n1 * s_zq / sigma,
        "sigma": nu * a_zm1 / sigma,
    }
    s2 = sigma * sigma
    h = {
        ("nu", "nu"): (-0.25 * _dtri_half(0.5 * nu) + 0.5 / nu
                       - s_q + 0.5 * n1 * s_q2),
        ("nu", "mu"): (s_zq - n1 * s_zq2) / sigma,
        ("nu", "sigma"): (1.0 - (2.0 * nu + 1.0) * s_q + nu * n1 * s_q2) / sigma,
        ("mu", "mu"): n1 * a_zmnu / s2,
        ("mu", "sigma"): -2.0 * nu * n1 * s_zq2 / s2,
        ("sigma", "sigma"): -(nu / s2) * (1.0 + n1 * a_zmnu),
    }
    return (-float(ll), {k: -float(v) for k, v in g.items()},
            {k: -float(v) for k, v in h.items()})


StudentT = StudentTFamily()
