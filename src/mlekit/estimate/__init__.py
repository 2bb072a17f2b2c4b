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

# ``import mlekit.estimate`` before any public name: let the package root finish wiring the
# fit backends (the Dask hooks around this one). A lookup, not an import of a higher floor.
import sys as _sys  # noqa: E402

_root_wire = getattr(_sys.modules.get("mlekit"), "_wire", None)
if _root_wire is not None:
    _root_wire()
