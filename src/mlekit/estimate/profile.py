r"""Profile-likelihood confidence intervals.

For a scalar parameter :math:`\theta_j` the profile log-likelihood is
:math:`\ell_p(\theta_j) = \max_{\theta_{-j}} \ell(\theta_j, \theta_{-j})`, and the
interval at ``level`` is

.. math:: \{\theta_j : 2\,[\ell(\hat\theta) - \ell_p(\theta_j)] \le \chi^2_{1,\text{level}}\}.

Each end is found by walking away from :math:`\hat\theta_j` in the parameter's
unconstrained coordinate (doubling the step) until the likelihood-ratio
statistic crosses the χ² quantile, then :func:`scipy.optimize.brentq` on the
bracket. If it never crosses before the edge of the domain, the end is the
edge (e.g. 0 for p̂ = 0). Unlike Wald intervals these respect the domain and
stay valid when the estimate sits on a boundary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import chdtri

from ..errors import MlekitError, NotImplementedForFamily

if TYPE_CHECKING:
    from .result import FitResult

__all__ = ["profile_conf_int"]

_U_EDGE = 40.0  # |u| beyond this is the edge of the domain for practical purposes


def _edge(domain, direction: int) -> float:
    """The end of ``domain`` in ``direction`` (−1 lower, +1 upper): its declared
    :attr:`~mlekit.domains.Domain.edges`, ±inf where it is unbounded."""
    lower, upper = domain.edges
    return float(lower if direction < 0 else upper)


def _saturates(domain) -> bool:
    """True when the domain ends somewhere (a finite edge), so its bijection flattens out
    and ``|u| > _U_EDGE`` is its edge for practical purposes; on the whole real line
    (edges ±inf, e.g. the identity) ``u`` is walked without a cap."""
    return bool(np.isfinite(domain.edges).any())


def profile_conf_int(result: FitResult, level: float = 0.95) -> dict[str, tuple]:
    """Profile-likelihood intervals for every estimated scalar parameter of ``result``."""
    if result._refit is None:  # pragma: no cover - every FitResult from fit() has one
        raise NotImplementedForFamily("this result cannot refit its data")
    crit = float(chdtri(1, 1.0 - level))  # chi-square(1) quantile at `level`
    out: dict[str, tuple] = {}
    fam = result.family
    for name, value in result.params.items():
        if name in result.fixed:
            out[name] = (value, value)
            continue
        if np.ndim(value) != 0:
            raise NotImplementedForFamily(
                f"profile intervals for the vector parameter {name!r} are not implemented; "
                "use conf_int(method='wald')")
        domain = fam.parameter(name).domain
        out[name] = tuple(_one_side(result, name, domain, float(value), d, crit)
                          for d in (-1, 1))
    return out


def _one_side(result, name, domain, value, direction, crit) -> float:
    def stat(u):
        v = float(domain.from_unconstrained(np.asarray(u)))
        try:
            llp = result._refit({name: v})
        except MlekitError:
            return np.inf  # the constrained MLE does not exist there: outside the interval
        return 2.0 * (result.llf - llp) - crit

    with np.errstate(divide="ignore"):
        u0 = float(domain.to_unconstrained(np.asarray(value)))
    if not np.isfinite(u0):
        if np.sign(u0) == direction:
            return value  # on the edge, walking outwards: the interval ends at the estimate
        u0 = float(np.clip(u0, -_U_EDGE, _U_EDGE))
    se = result.bse.get(name, np.nan)
    # first step: about one standard error, in u units
    try:
        dudtheta = 1.0 / max(abs(float(_jac(domain, value))), 1e-300)
        step = float(se) * dudtheta if np.isfinite(se) and se > 0 else 0.1 * max(1.0, abs(u0))
    except (ValueError, ZeroDivisionError):
        step = 0.1
    step = float(np.clip(step, 1e-8, 10.0))
    lo_u = u0
    for _ in range(80):
        hi_u = lo_u + direction * step
        if abs(hi_u) > _U_EDGE and _saturates(domain):
            hi_u = direction * _U_EDGE if np.sign(hi_u) == direction else hi_u
        s = stat(hi_u)
        if s > 0:
            a, b = sorted((lo_u, hi_u))
            if not np.isfinite(s):
                # shrink towards the finite side so brentq sees finite values
                for _ in range(60):
                    mid = 0.5 * (lo_u + hi_u)
                    sm = stat(mid)
                    if sm > 0 and np.isfinite(sm):
                        hi_u = mid
                        break
                    if sm > 0:
                        hi_u = mid
                    else:
                        lo_u = mid
                a, b = sorted((lo_u, hi_u))
                if not np.isfinite(stat(hi_u)):
                    return float(domain.from_unconstrained(np.asarray(lo_u)))
            from scipy.optimize import brentq

            root = brentq(stat, a, b, xtol=1e-12 * max(1.0, abs(a)), rtol=1e-12)
            return float(domain.from_unconstrained(np.asarray(root)))
        if abs(hi_u) >= _U_EDGE and _saturates(domain):
            return _edge(domain, direction)
        lo_u = hi_u
        step *= 2.0
    return _edge(domain, direction)


def _jac(domain, value: float) -> float:
    r""":math:`d\theta/du` at ``value``, from the domain's analytic
    :meth:`~mlekit.domains.Domain.dtheta_du`."""
    return float(domain.dtheta_du(np.asarray(value, float)))
