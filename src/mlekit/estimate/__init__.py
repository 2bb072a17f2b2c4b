"""Unconditional maximum likelihood: ``fit``, ``FitResult``, censored data, ``compare``.

``mlekit.estimate`` installs :func:`fit` as the backend of ``Family.fit``, so
``mk.Normal.fit(x)`` and ``mk.fit(x, "normal")`` are the same call.
"""

from ..families.base import _set_fit_backend
from ._fit import BoundaryWarning, fit
from .censored import Censored
from .compare import CompareResult, anderson_darling, compare
from .result import FitResult

_set_fit_backend(fit)

__all__ = [
    "BoundaryWarning",
    "Censored",
    "CompareResult",
    "FitResult",
    "anderson_darling",
    "compare",
    "fit",
]
