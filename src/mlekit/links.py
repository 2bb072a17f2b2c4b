"""Link functions: ``eta = g(mu)`` maps a mean parameter to the linear predictor.

Each :class:`Link` gives the numeric inverse ``mu = g⁻¹(eta)`` and its first two
derivatives (what Newton's method in link space needs), written to be exact at
the extremes (``expit``, ``log_ndtr``-style forms, ``expm1``), and its SymPy
form for the derivation engine (imported lazily).

Registered links: see :data:`LINKS` (``identity``, ``log``, ``logit``,
``probit``, ``cloglog``, ``inverse``, ``inverse_squared``, ``sqrt``, ``softmax``).

The numeric functions are total and silent, like the mathematics they implement:
at the ends of a domain they return the IEEE limits (``log.link(0) = -inf``,
``log.inverse(1000) = inf``, ``inverse.link(0) = inf``), and outside it NaN
(``log.link(-1)``, ``logit.link(2)``), never a NumPy ``RuntimeWarning``. Callers
(the regression engine) check the results: a NaN or infinite mean is handled
there (step halving, the out-of-domain guard of each model).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, logit, ndtr, ndtri

from .errors import did_you_mean

__all__ = ["LINKS", "Link", "get_link", "scaled_logit"]

_SQRT_2PI = np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class Link:
    """A link function ``g`` with ``eta = g(mu)`` and ``mu = g⁻¹(eta)``.

    Attributes
    ----------
    name : registry name
    link : ``mu -> eta``
    inverse : ``eta -> mu``
    inverse_deriv : ``dmu/deta`` as a function of ``eta``
    inverse_deriv2 : ``d²mu/deta²`` as a function of ``eta``
    sympy_inverse : builds the SymPy expression of ``g⁻¹(eta)`` from a symbol
    latex : the link written as ``g(\\mu)``

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> cll = mk.get_link("cloglog")                     # eta = log(-log(1 - mu))
    >>> cll
    Link('cloglog')
    >>> print(cll.latex)
    \\log(-\\log(1-\\mu))
    >>> eta = np.array([-1.0, 0.0, 1.0])
    >>> np.round(cll.inverse(eta), 4)                    # mu = 1 - exp(-exp(eta))
    array([0.3078, 0.6321, 0.934 ])
    >>> bool(np.allclose(cll.link(cll.inverse(eta)), eta))
    True

    The derivatives agree with central differences of ``inverse``:

    >>> h, inv, d1 = 1e-6, cll.inverse, cll.inverse_deriv
    >>> bool(np.allclose(d1(eta), (inv(eta + h) - inv(eta - h)) / (2 * h)))
    True
    >>> bool(np.allclose(cll.inverse_deriv2(eta), (d1(eta + h) - d1(eta - h)) / (2 * h)))
    True
    >>> import sympy
    >>> cll.sympy_inverse(sympy.Symbol("eta"))
    1 - exp(-exp(eta))
    """

    name: str
    link: Callable[[np.ndarray], np.ndarray]
    inverse: Callable[[np.ndarray], np.ndarray]
    inverse_deriv: Callable[[np.ndarray], np.ndarray]
    inverse_deriv2: Callable[[np.ndarray], np.ndarray]
    sympy_inverse: Callable[[Any], Any]
    latex: str

    def __post_init__(self) -> None:
        for attr in ("link", "inverse", "inverse_deriv", "inverse_deriv2"):
            object.__setattr__(self, attr, _quiet(getattr(self, attr)))

    def __repr__(self) -> str:
        return f"Link({self.name!r})"


def _quiet(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """``fn`` evaluated with NumPy's floating-point warnings off: the IEEE results (±inf at
    the ends of the domain, NaN outside it) are the documented values."""
    if getattr(fn, "_mlekit_quiet", False):
        return fn

    def quiet(x: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return fn(x)

    quiet._mlekit_quiet = True  # type: ignore[attr-defined]
    quiet.__doc__ = getattr(fn, "__doc__", None)
    quiet.__name__ = getattr(fn, "__name__", "link_function")
    return quiet


def _sp():
    import sympy

    return sympy


def _cloglog_inverse(eta):
    return -np.expm1(-np.exp(eta))


def _cloglog_d1(eta):
    return np.exp(eta - np.exp(eta))


def _cloglog_d2(eta):
    return np.exp(eta - np.exp(eta)) * (1.0 - np.exp(eta))


def _probit_pdf(eta):
    return np.exp(-0.5 * np.square(eta)) / _SQRT_2PI


def _softmax(eta):
    z = eta - np.max(eta, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _not_elementwise(_eta):
    raise TypeError("softmax is a vector link: its derivative is a Jacobian, see regression")


LINKS: dict[str, Link] = {
    link.name: link
    for link in [
        Link("identity", lambda m: np.asarray(m, float), lambda e: np.asarray(e, float),
             np.ones_like, np.zeros_like, lambda e: e, r"\mu"),
        Link("log", np.log, np.exp, np.exp, np.exp, lambda e: _sp().exp(e), r"\log \mu"),
        Link("logit", logit, expit, lambda e: expit(e) * expit(-e),
             lambda e: expit(e) * expit(-e) * (1.0 - 2.0 * expit(e)),
             lambda e: 1 / (1 + _sp().exp(-e)), r"\log\frac{\mu}{1-\mu}"),
        Link("probit", ndtri, ndtr, _probit_pdf, lambda e: -e * _probit_pdf(e),
             lambda e: (1 + _sp().erf(e / _sp().sqrt(2))) / 2, r"\Phi^{-1}(\mu)"),
        Link("cloglog", lambda m: np.log(-np.log1p(-m)), _cloglog_inverse, _cloglog_d1,
             _cloglog_d2, lambda e: 1 - _sp().exp(-_sp().exp(e)), r"\log(-\log(1-\mu))"),
        Link("inverse", lambda m: 1.0 / m, lambda e: 1.0 / e, lambda e: -1.0 / np.square(e),
             lambda e: 2.0 / e**3, lambda e: 1 / e, r"1/\mu"),
        Link("inverse_squared", lambda m: 1.0 / np.square(m), lambda e: e**-0.5,
             lambda e: -0.5 * e**-1.5, lambda e: 0.75 * e**-2.5,
             lambda e: 1 / _sp().sqrt(e), r"1/\mu^2"),
        Link("sqrt", np.sqrt, np.square, lambda e: 2.0 * np.asarray(e, float),
             lambda e: 2.0 * np.ones_like(e, dtype=float), lambda e: e**2, r"\sqrt{\mu}"),
        Link("softmax", lambda p: np.log(p) - np.log(p[..., :1]), _softmax, _not_elementwise,
             _not_elementwise, lambda e: e, r"\log(p_j / p_0)"),
    ]
}


_SCALED = re.compile(r"^logit\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)$")


def scaled_logit(low: float, high: float) -> Link:
    r"""The logit link of a bounded interval: :math:`\theta = a + (b - a)\,\mathrm{expit}(\eta)`,
    :math:`\eta = \log\frac{\theta - a}{b - \theta}` (named ``"logit(a, b)"``; the
    default link of a parameter on ``Interval(a, b)``, e.g. Tweedie's power on (1, 2)).

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> g = mk.get_link("logit(1, 2)")
    >>> g
    Link('logit(1.0, 2.0)')
    >>> float(g.inverse(np.array(0.0))), float(g.link(np.array(1.5)))
    (1.5, 0.0)
    """
    a, b = float(low), float(high)
    if not (np.isfinite(a) and np.isfinite(b) and a < b):
        raise did_you_mean(f"logit({low}, {high})", LINKS, what="link")
    w = b - a

    def inverse(e):
        return a + w * expit(e)

    def link(m):
        m = np.asarray(m, float)
        return np.log(m - a) - np.log(b - m)

    def d1(e):
        return w * expit(e) * expit(-e)

    def d2(e):
        return w * expit(e) * expit(-e) * (1.0 - 2.0 * expit(e))

    return Link(f"logit({a!r}, {b!r})", link, inverse, d1, d2,
                lambda e: a + w / (1 + _sp().exp(-e)),
                rf"\log\frac{{\mu - {a:g}}}{{{b:g} - \mu}}")


def get_link(link: str | Link) -> Link:
    """Return the registered :class:`Link` called ``link`` (or ``link`` itself).

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> logit = mk.get_link("logit")
    >>> np.round(logit.link(np.array([0.25, 0.5])), 4)   # log(p / (1 - p))
    array([-1.0986,  0.    ])
    >>> np.round(logit.inverse(np.array([0.0, 2.0])), 4)  # expit
    array([0.5   , 0.8808])
    """
    if isinstance(link, Link):
        return link
    key = str(link).lower().replace("-", "_")
    m = _SCALED.match(str(link).strip().lower())
    if m is not None:  # (read by a regular expression of two numbers: never evaluated)
        try:
            return scaled_logit(float(m.group(1)), float(m.group(2)))
        except ValueError:
            pass
    if key not in LINKS:
        raise did_you_mean(link, LINKS, what="link")
    return LINKS[key]
