r"""Negative binomial family in the GLM ("NB2") parameterisation: mean ``mu``, dispersion ``alpha``.

.. math::

    P(x;\,\mu,\alpha) = \frac{\Gamma(x + 1/\alpha)}{\Gamma(1/\alpha)\,x!}
        \left(\frac{1}{1+\alpha\mu}\right)^{1/\alpha}
        \left(\frac{\alpha\mu}{1+\alpha\mu}\right)^{x},
    \qquad x\in\{0,1,2,\dots\},\ \mu>0,\ \alpha>0 ,

so that E[X] = μ and Var[X] = μ + αμ² (statsmodels' ``NegativeBinomial``; R's
``MASS::glm.nb`` uses θ = 1/α). In the (r, p) form of ``scipy.stats.nbinom``,
r = 1/α successes and success probability p = 1/(1 + αμ); X counts failures.
As α → 0 it tends to Poisson(μ) (a boundary the MLE may reach: see :meth:`mle`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import betainc, digamma, gammaln, polygamma, xlogy

from ..domains import Counts, Positive
from ..errors import DataError, SupportError
from ._mle_tools import MLEstimate
from ._rowmodel import _MeanModel, _scaled_moments
from .base import Family, Parameter, SymbolicDensity
from .poisson import _entropy_by_sum, _flat, _log_binom_raw


def _nb_log_raw(k, mu, alpha):
    """log P(k) for real k ≥ 0: r/(r+k) · Binom(r; r+k, p) (Loader), exact at k = 0."""
    k, mu, alpha = np.broadcast_arrays(*(np.asarray(a, float) for a in (k, mu, alpha)))
    r = 1.0 / alpha
    am = alpha * mu
    p = 1.0 / (1.0 + am)
    q = am / (1.0 + am)
    out = np.log(r / (r + k)) + _log_binom_raw(r, r + k, p, q)
    return np.where(k == 0, -np.log1p(am) / alpha, out)


#: from this r = 1/α on, ψ(y + r) − ψ(r) and ψ'(y + r) − ψ'(r) come from the asymptotic
#: series of ψ and ψ' (their direct forms lose digits as α → 0, the Poisson limit: at
#: r = 1e11, ψ(r) ≈ 25 has an ulp of 4e-15 against a difference of y/r ≈ 1e-11); both
#: ways agree to ~1e-12 relative here, and the row model's log-likelihood switches to the
#: family's saddle-point kernel from the same r on
_R_SERIES = 30.0


def _inverse_power_gaps(y: np.ndarray, r: np.ndarray, top: int) -> dict[int, np.ndarray]:
    r"""``{n: r^{-n} − (r+y)^{-n}}`` for n = 1 … top, without cancellation:
    :math:`y\sum_{k=0}^{n-1} r^{-(n-k)} (r+y)^{-(k+1)}` (no power overflows)."""
    ir, is_ = 1.0 / r, 1.0 / (r + y)
    return {n: y * sum(ir ** (n - k) * is_ ** (k + 1) for k in range(n))
            for n in range(1, top + 1)}


def _log1pmx(t: np.ndarray) -> np.ndarray:
    """log(1 + t) − t, by its series −t²/2 + t³/3 − … where |t| < 0.1 (no cancellation)."""
    t = np.asarray(t, float)
    small = np.abs(t) < 0.1
    ts = np.where(small, t, 0.0)
    series = np.zeros_like(ts)
    power = ts * ts
    for k in range(2, 19):  # |t|^19 / 19 < 1e-20: below a double's rounding of the sum
        series += (-1.0) ** (k + 1) * power / k
        power = power * ts
    with np.errstate(invalid="ignore", divide="ignore"):
        direct = np.log1p(t) - t
    return np.where(small, series, direct)


def _alpha_score_parts(y: np.ndarray, mu: np.ndarray, r: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    r"""``(s, s')``: with r = 1/α, ∂ℓ/∂α = −r² s and ∂s/∂r = s', where

    .. math::

        s = \psi(y+r) - \psi(r) - \log\Bigl(1 + \frac{\mu}{r}\Bigr) + \frac{\mu - y}{r + \mu},
        \qquad
        s' = \psi'(y+r) - \psi'(r) + \frac{\mu}{r(r+\mu)} - \frac{\mu - y}{(r+\mu)^2}.

    Their terms are O(1/r) but s is O(1/r²) and s' O(1/r³) (s → −((y−μ)² − y)/(2r²), the
    overdispersion score): for r ≥ 30 they are regrouped so that no two large terms cancel,
    :math:`s = [\psi(y+r) - \psi(r) - \log(1 + y/r)] + \operatorname{log1pmx}(t)`,
    :math:`t = (y-\mu)/(r+\mu)`, and
    :math:`s' = [\psi'(y+r) - \psi'(r) + y/(r(r+y))] + (\mu-y)^2/((r+y)(r+\mu)^2)`, each
    bracket from the asymptotic series of ψ and ψ' less its leading term."""
    y, mu, r = np.broadcast_arrays(*(np.asarray(a, float) for a in (y, mu, r)))
    big = r >= _R_SERIES
    rb = np.where(big, r, _R_SERIES)
    sb = rb + y
    d = _inverse_power_gaps(y, rb, 7)
    # ψ(z) ~ log z − 1/(2z) − 1/(12z²) + 1/(120z⁴) − 1/(252z⁶), ψ'(z) ~ 1/z + 1/(2z²)
    # + 1/(6z³) − 1/(30z⁵) + 1/(42z⁷): differenced at s = r + y and r, less the leading
    # log(1 + y/r) and −y/(rs) (next terms below 1e-12 of the result from r = 30 on)
    psi_rest = d[1] / 2.0 + d[2] / 12.0 - d[4] / 120.0 + d[6] / 252.0
    tri_rest = -d[2] / 2.0 - d[3] / 6.0 + d[5] / 30.0 - d[7] / 42.0
    s_big = psi_rest + _log1pmx((y - mu) / (rb + mu))
    ds_big = tri_rest + (mu - y) ** 2 / (sb * (rb + mu) ** 2)
    with np.errstate(invalid="ignore"):
        s_small = (digamma(y + r) - digamma(r) - np.log1p(mu / r) + (mu - y) / (r + mu))
        ds_small = (polygamma(1, y + r) - polygamma(1, r) + mu / (r * (r + mu))
                    - (mu - y) / (r + mu) ** 2)
    return np.where(big, s_big, s_small), np.where(big, ds_big, ds_small)


# ---------------------------------------------------------------- fast path: link-space row model
@dataclass
class NegativeBinomialModel(_MeanModel):
    r"""Negative binomial (NB2): ``Var y = mu + alpha mu^2``; nuisance ``u = log alpha``.

    With ``r = 1/alpha``:

    .. math:: \ell = -\log\Gamma(y+r) + \log\Gamma(r) + \log y!
              - r\log\frac{r}{r+\mu} - y\log\frac{\mu}{r+\mu}

    ``fixed={"alpha": a}`` holds the dispersion fixed (a GLM); otherwise it is
    estimated jointly by maximum likelihood (like statsmodels' NegativeBinomial).
    """

    nuisance_names: ClassVar[tuple[str, ...]] = ("alpha",)
    default_link: ClassVar[str | None] = "log"
    allowed_links: ClassVar[tuple[str, ...]] = ("log", "identity", "sqrt")
    mean_domain: ClassVar[str] = "positive"

    def init_eta(self, y, w, aux):
        mz, vz, s = _scaled_moments(y, w)
        m = max(s * mz, 1e-3)
        start = [float(self.link.link(np.asarray(m)))]
        if "alpha" not in self.fixed:  # moment α = (v - m)/m² = v_z/m_z² - 1/m
            ratio = vz / (mz * mz) - 1.0 / m if mz > 0 else 0.0
            start.append(np.log(max(ratio, 0.05)))
        return np.array(start)

    def check_y(self, y, aux):
        return Counts.check(y, what="y", owner="NegativeBinomial regression",
                            error=SupportError)

    def _loglik(self, y, mu, nu, aux, order):
        alpha = nu["alpha"]
        r = 1.0 / alpha
        far = r >= 1e4  # near the Poisson limit: the family's own kernel keeps digits
        ll = (gammaln(y + r) - gammaln(r) - gammaln(y + 1.0)
              - r * np.log1p(mu / r) + xlogy(y, mu / (r + mu)))
        if np.any(far):
            ll = np.where(far, _nb_log_raw(y, mu, alpha), ll)
        dmu = y / mu - (y + r) / (r + mu)
        grads = [dmu]
        hess = {(0, 0): -y / mu**2 + (y + r) / (r + mu) ** 2}
        if "alpha" not in self.fixed:  # (digits kept towards the Poisson limit)
            dr, d2r = _alpha_score_parts(y, mu, r)
            grads.append(-r * dr)
            hess[(1, 1)] = r * r * d2r + r * dr
            hess[(0, 1)] = -r * (y - mu) / (r + mu) ** 2
        return ll, grads, hess

    def distribution_params(self, eta, aux):
        mu = self.mean(eta)
        return {"mu": mu, "alpha": self.nuisance_values(eta)["alpha"] * np.ones_like(mu)}

    def unit_deviance(self, y, eta, aux):
        mu = self.mean(eta)
        r = 1.0 / self.nuisance_values(eta)["alpha"]
        return 2.0 * (xlogy(y, y / mu) - (y + r) * np.log((y + r) / (mu + r)))

    def expected_mu_information(self, mu, nu, aux):
        return 1.0 / (mu + nu["alpha"] * mu * mu)


class NegativeBinomialFamily(Family):
    r"""NegativeBinomial(mu, alpha): over-dispersed counts, mean μ, variance μ + αμ².

    .. math:: P(x) = \frac{\Gamma(x + 1/\alpha)}{\Gamma(1/\alpha)\,x!}
              (1+\alpha\mu)^{-1/\alpha} \left(\frac{\alpha\mu}{1+\alpha\mu}\right)^{x}

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.NegativeBinomial(mu=4.0, alpha=0.5)
    >>> float(d.mean), float(d.var)         # mu, mu + alpha mu**2
    (4.0, 12.0)
    >>> visits = mk.datasets.load("randhie")["mdvis"]
    >>> res = mk.NegativeBinomial.fit(visits)   # over-dispersed: alpha well above 0
    >>> round(res.params["mu"], 4), round(res.params["alpha"], 3)
    (2.8472, 1.498)
    """

    name = "negativebinomial"
    title = "NegativeBinomial"
    #: the hand-written link-space row model (regression fast path)
    row_model = NegativeBinomialModel
    parameters = (Parameter("mu", Positive, r"\mu"), Parameter("alpha", Positive, r"\alpha"))
    support = Counts
    discrete = True
    mean_parameter = "mu"
    canonical_link = "log"  # the link used in practice (NB2 GLMs); the canonical one needs α
    mean_edges_in_data = ("lower",)
    example_params: ClassVar[dict[str, Any]] = {"mu": 4.0, "alpha": 0.5}

    def logpdf(self, x, mu, alpha):
        x = np.asarray(x, float)
        ok = (x == np.floor(x)) & (x >= 0)
        return np.where(ok, _nb_log_raw(np.where(ok, x, 0.0), mu, alpha), -np.inf)

    def cdf(self, x, mu, alpha):
        x = np.asarray(x, float)
        k = np.floor(np.where(x >= 0, x, 0.0))
        p = 1.0 / (1.0 + alpha * np.asarray(mu, float))
        return np.where(x >= 0, betainc(1.0 / alpha, k + 1.0, p), 0.0)

    def logsf(self, x, mu, alpha):
        x = np.asarray(x, float)
        k = np.floor(np.where(x >= 0, x, 0.0))
        am = alpha * np.asarray(mu, float)
        with np.errstate(divide="ignore"):
            return np.where(x >= 0, np.log(betainc(k + 1.0, 1.0 / alpha, am / (1.0 + am))), 0.0)

    def ppf(self, q, mu, alpha):
        """Smallest integer k with P(X ≤ k) ≥ q."""
        from scipy.stats import nbinom

        return nbinom.ppf(q, 1.0 / alpha, 1.0 / (1.0 + alpha * np.asarray(mu, float)))

    def sample(self, size, rng, mu, alpha):
        shape = tuple(size) + np.broadcast_shapes(np.shape(mu), np.shape(alpha))
        lam = rng.gamma(1.0 / np.asarray(alpha, float), np.asarray(mu, float) * alpha, size=shape)
        return rng.poisson(lam).astype(float)  # the Poisson–gamma mixture

    def mean(self, mu, alpha):
        return np.broadcast_to(mu, np.broadcast_shapes(np.shape(mu), np.shape(alpha))) * 1.0

    def var(self, mu, alpha):
        mu = np.asarray(mu, float)
        return mu + alpha * mu * mu

    def entropy(self, mu, alpha):
        r"""Shannon entropy −Σ p_k log p_k (nats); no closed form exists.

        Exact sum over ``[lo, hi]``: ``lo = μ − 16σ − 10`` (0 when r = 1/α < 1); ``hi``
        grows from ``μ + 12σ + 40`` until the geometric tail bound
        ``P(X ≥ hi) ≤ P(hi)/(1 − ρ)``, ρ = max(P(hi+1)/P(hi), αμ/(1+αμ)), is below 1e-20.
        Beyond 1e5 terms the smooth remainder is summed by Euler–Maclaurin.
        """
        shape = np.broadcast_shapes(np.shape(mu), np.shape(alpha))
        m, a = _flat(shape, mu, alpha)
        r = 1.0 / a
        sd = np.sqrt(m + a * m * m)
        qf = a * m / (1.0 + a * m)
        lo = np.where(r >= 1, np.maximum(0.0, np.floor(m - 16 * sd - 10)), 0.0)
        hi = np.ceil(m + 12 * sd + 40)
        for _ in range(200):
            rho = np.maximum((hi + r) / (hi + 1.0) * qf, qf)
            with np.errstate(divide="ignore"):
                bound = _nb_log_raw(hi, m, a) - np.log1p(-np.minimum(rho, 1 - 1e-300))
            grow = (rho >= 1.0) | (bound > np.log(1e-20))
            if not np.any(grow):
                break
            hi = np.where(grow, np.ceil(hi * 1.5 + 10), hi)
        out = _entropy_by_sum(lambda k, i: _nb_log_raw(k, m[i, None], a[i, None]), lo, hi)
        return out.reshape(shape)

    #: alpha -> 0 is the Poisson (a regression whose alpha runs there is checked)
    nuisance_edge: ClassVar[tuple[str, str] | None] = ("alpha", "poisson")

    def edge_score(self, x, mu, alpha=None):
        r""":math:`\partial\log p/\partial\alpha` at α = 0, :math:`((x - \mu)^2 - x)/2`
        (Cameron and Trivedi's overdispersion score)."""
        x, mu = np.asarray(x, float), np.asarray(mu, float)
        return 0.5 * ((x - mu) ** 2 - x)

    def score(self, x, mu, alpha):
        r"""∂/∂μ = (x − μ)/(μ(1+αμ));
        ∂/∂α = −r² [ψ(x+r) − ψ(r) − log(1+αμ) + (μ − x)/(r + μ)], r = 1/α."""
        x, mu, alpha = (np.asarray(a, float) for a in (x, mu, alpha))
        r = 1.0 / alpha
        am = alpha * mu
        s_r, _ = _alpha_score_parts(x, mu, r)
        return {"mu": (x - mu) / (mu * (1.0 + am)), "alpha": -r * r * s_r}

    def hessian(self, x, mu, alpha):
        x, mu, alpha = (np.asarray(a, float) for a in (x, mu, alpha))
        r = 1.0 / alpha
        s_r, ds_r = _alpha_score_parts(x, mu, r)
        return {
            ("mu", "mu"): -x / mu**2 + (x + r) / (mu + r) ** 2,
            ("mu", "alpha"): (mu - x) / (1.0 + alpha * mu) ** 2,
            ("alpha", "alpha"): 2.0 * r**3 * s_r + r**4 * ds_r,
        }

    def mle(self, x, weights=None, fixed=None):
        r"""μ̂ = x̄ for every α; α̂ solves the profile score equation
        ``Σ w [ψ(x + r) − ψ(r)] = W log(1 + μ̂/r)``, r = 1/α, by Newton's method in
        log r inside a sign-change bracket (bisection whenever a Newton step leaves it).

        The MLE has α̂ > 0 exactly when the (1/n) sample variance exceeds the mean
        (Levin & Reeds 1977). Otherwise α̂ = 0, the Poisson limit, on the boundary of
        the parameter space: :class:`~mlekit.errors.DataError` says so. With ``mu``
        fixed (and α free) there is no specialised solver: ``None``.
        """
        fixed = dict(fixed or {})
        w = np.ones_like(x) if weights is None else np.asarray(weights, float)
        wsum = float(np.sum(w))
        if "mu" in fixed:
            if "alpha" in fixed:
                return {"mu": float(fixed["mu"]), "alpha": float(fixed["alpha"])}
            return None
        mu = float(np.sum(w * x) / wsum)
        if "alpha" in fixed:
            return {"mu": mu, "alpha": float(fixed["alpha"])}
        # the variance in units of c = max x: (x − mu)² overflows for counts near 1e300
        c = float(np.max(np.abs(x))) or 1.0
        v = float(np.sum(w * ((x - mu) / c) ** 2) / wsum)  # s2 / c²
        with np.errstate(over="ignore"):
            s2 = v * c * c  # only printed
        if not v > (mu / c) / c * (1.0 + 1e-12):
            raise DataError(
                f"NegativeBinomial: the sample variance ({s2:.6g}) does not exceed the mean "
                f"({mu:.6g}), so the likelihood is maximised at alpha = 0, the boundary where "
                "the negative binomial becomes a Poisson distribution. The MLE of alpha lies "
                "on the boundary of alpha > 0: fit family='poisson' instead")
        vals, inv = np.unique(x, return_inverse=True)
        wv = np.bincount(inv.ravel(), weights=np.ravel(w))

        def h(t):
            r = np.exp(t)
            val = np.sum(wv * (digamma(vals + r) - digamma(r))) - wsum * np.log1p(mu / r)
            der = (np.sum(wv * (polygamma(1, vals + r) - polygamma(1, r)))
                   + wsum * mu / (r * (r + mu)))
            return val, der * r

        # the moment estimate of r = mu² / (s2 − mu), in units of c
        t = 2.0 * np.log(mu / c) - np.log(v - (mu / c) / c)
        lo = hi = t
        for _ in range(200):
            if h(lo)[0] > 0:
                break
            lo -= 2.0
        for _ in range(200):
            if h(hi)[0] < 0:
                break
            hi += 2.0
            if hi > np.log(1e12):
                raise DataError(
                    f"NegativeBinomial: the profile likelihood of alpha is still increasing at "
                    f"alpha = 1e-12 (variance {s2:.6g}, mean {mu:.6g}); the fit is numerically "
                    "the Poisson limit alpha = 0: fit family='poisson' instead")
        t = 0.5 * (lo + hi) if not lo < t < hi else t
        converged, nit = False, 0
        for nit in range(1, 201):  # noqa: B007 - nit is reported
            val, der = h(t)
            if val > 0:
                lo = t
            else:
                hi = t
            step = val / der if der != 0 else np.inf
            t_new = t - step
            if not (lo < t_new < hi):
                t_new = 0.5 * (lo + hi)
            if abs(t_new - t) < 1e-13 * max(1.0, abs(t)) or hi - lo < 1e-14:
                t, converged = t_new, True
                break
            t = t_new
        return MLEstimate({"mu": mu, "alpha": float(np.exp(-t))},
                          method="profile Newton in log(1/alpha), bracketed",
                          converged=converged, nit=nit)

    def _symbolic(self):
        sp, x, s = self._make_symbols()
        mu, alpha = s["mu"], s["alpha"]
        r = 1 / alpha
        expr = (sp.gamma(x + r) / (sp.gamma(r) * sp.factorial(x))
                * (1 + alpha * mu) ** (-r) * (alpha * mu / (1 + alpha * mu)) ** x)
        log_expr = (sp.loggamma(x + r) - sp.loggamma(r) - sp.loggamma(x + 1)
                    - sp.log(1 + alpha * mu) / alpha + x * sp.log(alpha * mu / (1 + alpha * mu)))
        return SymbolicDensity(expr, x, s, log_expr)


NegativeBinomial = NegativeBinomialFamily()
