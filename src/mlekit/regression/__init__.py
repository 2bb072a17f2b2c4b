"""Conditional maximum likelihood: regression for any family x link.

``Regression(family=..., link=...)`` is a scikit-learn estimator; the pieces:

* ``_models``      family + link as a loss on the linear predictors (link space)
* ``_sums``        the row-sum backend (NLL, gradient, Hessian summed over row chunks)
* ``solver``       Newton with a backtracking line search (L-BFGS fallback), proximal Newton (L1)
* ``_diagnostics`` non-finite data, rank deficiency, separation
* ``_results``     RegressionResult: inference and summary()

The estimators (which import scikit-learn) load on first access, so importing
this package stays cheap.
"""

from typing import Any

# Backends for data that do not live in this process (Dask): ``(accepts, fit)`` pairs
# registered by a higher floor (mlekit.distributed) — regression never imports them.
# Defined before the imports below: importing the families wires the package
# (``mlekit._wire``), which registers the Dask backend while this module is mid-import.
_DATA_BACKENDS: list[tuple[Any, Any]] = []


def _register_data_backend(accepts: Any, fit: Any) -> None:
    """Route ``Regression.fit(X, y)`` to ``fit(estimator, X, y, …)`` when ``accepts(X or y)``."""
    _DATA_BACKENDS.append((accepts, fit))


from ..families._rowmodel import RowModel  # noqa: E402
from ._models import MODELS, make_model  # noqa: E402
from ._sums import InMemorySums  # noqa: E402

__all__ = [
    "MODELS",
    "InMemorySums",
    "LinearRegression",
    "LogisticRegression",
    "Regression",
    "RegressionCV",
    "RegressionResult",
    "RowModel",
    "compare_models",
    "lr_test",
    "make_model",
    "vuong_test",
]

_LAZY = {"LinearRegression": "._estimator", "LogisticRegression": "._estimator",
         "Regression": "._estimator", "RegressionCV": "._cv",
         "RegressionResult": "._results",
         "compare_models": "._compare", "lr_test": "._compare", "vuong_test": "._compare"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
