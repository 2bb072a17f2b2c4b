"""mlekit — where does your loss function come from?

State a probability model; mlekit derives its negative log-likelihood step by
step, fits it by maximum likelihood, reports how certain the fit is, and
measures how far model and data are apart (KL divergence).

>>> import mlekit as mk
>>> mk.Normal.fit([1.0, 2.0, 3.0]).params["mu"]
2.0
"""

from . import datasets, errors, losses
from .derive import Derivation, derive, symbolic_kl
from .divergence import (
    DivergenceResult,
    KLDecomposition,
    KLProfile,
    cross_entropy,
    entropy,
    kl,
    kl_decomposition,
    kl_profile,
    knn_entropy,
    knn_kl,
)
from .estimate import BoundaryWarning, Censored, CompareResult, FitResult, compare, fit
from .families import (
    FAMILIES,
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Cauchy,
    Dirichlet,
    Distribution,
    Exponential,
    Family,
    Gamma,
    Geometric,
    Gumbel,
    HalfNormal,
    InverseGaussian,
    Laplace,
    Logistic,
    LogNormal,
    MultivariateNormal,
    NegativeBinomial,
    Normal,
    Ordinal,
    Pareto,
    Poisson,
    Rayleigh,
    StudentT,
    Tweedie,
    Uniform,
    Weibull,
    get_family,
    parse_distribution,
)
from .families.custom import custom_family
from .io import read_column, read_table
from .links import LINKS, get_link

__version__ = "0.1.0"


def _install_dask_hooks() -> None:
    """Let ``Family.fit`` and ``Regression.fit`` accept Dask collections.

    Runs after ``mlekit.estimate`` has installed the in-memory fit backend, which the Dask
    hook wraps. ``mlekit.distributed`` imports no dask until a Dask collection arrives.
    """
    from . import distributed  # noqa: F401


_install_dask_hooks()

__all__ = [
    "FAMILIES",
    "LINKS",
    "Bernoulli",
    "Beta",
    "Binomial",
    "BoundaryWarning",
    "Categorical",
    "Cauchy",
    "Censored",
    "CompareResult",
    "Derivation",
    "Dirichlet",
    "Distribution",
    "DivergenceResult",
    "Exponential",
    "Family",
    "FitResult",
    "Gamma",
    "Geometric",
    "Gumbel",
    "HalfNormal",
    "Hurdle",
    "InverseGaussian",
    "KLDecomposition",
    "KLProfile",
    "Laplace",
    "LinearRegression",
    "LogNormal",
    "Logistic",
    "LogisticRegression",
    "Mixture",
    "MultivariateNormal",
    "NegativeBinomial",
    "Normal",
    "Ordinal",
    "Pareto",
    "Poisson",
    "Rayleigh",
    "Regression",
    "RegressionCV",
    "RegressionResult",
    "Shifted",
    "StudentT",
    "Truncated",
    "Tweedie",
    "Uniform",
    "Weibull",
    "ZeroInflated",
    "compare",
    "compare_models",
    "cross_entropy",
    "custom_family",
    "datasets",
    "derive",
    "entropy",
    "errors",
    "fit",
    "get_family",
    "get_link",
    "kl",
    "kl_decomposition",
    "kl_profile",
    "knn_entropy",
    "knn_kl",
    "losses",
    "lr_test",
    "parse_distribution",
    "read_column",
    "read_table",
    "symbolic_kl",
    "vuong_test",
]


# Loaded on first use so that `import mlekit` stays fast: the regression estimators
# subclass scikit-learn's BaseEstimator (which imports pandas), and mk.torch imports PyTorch.
_LAZY = {
    "LinearRegression": "regression",
    "LogisticRegression": "regression",
    "Regression": "regression",
    "RegressionCV": "regression",
    "RegressionResult": "regression",
    "compare_models": "regression",
    "lr_test": "regression",
    "vuong_test": "regression",
    "Hurdle": "families.combinators",
    "Mixture": "families.combinators",
    "Shifted": "families.combinators",
    "Truncated": "families.combinators",
    "ZeroInflated": "families.combinators",
}


def __getattr__(name: str):
    """Load heavy sub-packages on first use (``mk.torch`` imports PyTorch only then)."""
    import importlib

    if name == "torch":
        return importlib.import_module(".torch", __name__)
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mlekit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "torch"])
