"""Conditional maximum likelihood: regression for any family x link.

``Regression(family=..., link=...)`` is a scikit-learn estimator; the pieces:

* ``_models``      family + link as a loss on the linear predictors (link space)
* ``_sums``        the row-sum backend (NLL, gradient, Hessian summed over row chunks)
* ``solver``       Newton with a backtracking line search (L-BFGS fallback)
* ``_diagnostics`` non-finite data, rank deficiency, separation
* ``_results``     RegressionResult: inference and summary()
"""

from ._estimator import LinearRegression, LogisticRegression, Regression
from ._models import MODELS, RowModel, make_model
from ._results import RegressionResult
from ._sums import InMemorySums

__all__ = [
    "MODELS",
    "InMemorySums",
    "LinearRegression",
    "LogisticRegression",
    "Regression",
    "RegressionResult",
    "RowModel",
    "make_model",
]
