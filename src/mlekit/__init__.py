"""mlekit — where does your loss function come from?

State a probability model; mlekit derives its negative log-likelihood step by
step, fits it by maximum likelihood, reports how certain the fit is, and
measures how far model and data are apart (KL divergence).

>>> import mlekit as mk
>>> mk.Normal.fit([1.0, 2.0, 3.0]).params["mu"]
2.0
"""

import sys
import types
from typing import Any

from . import errors

__version__ = "0.1.0"

# ``import mlekit`` imports only the errors: every other public name is loaded on first use
# (PEP 562, as SciPy and SymPy do), so ``mlekit --help`` and a one-line error never pay for
# NumPy, SciPy, pandas or SymPy. ``name -> submodule`` for the names loaded that way:
_LAZY = {
    **dict.fromkeys(("Derivation", "symbolic_kl"), "derive"),
    **dict.fromkeys(("DivergenceResult", "KLDecomposition", "KLProfile", "cross_entropy",
                     "entropy", "kl", "kl_decomposition", "kl_profile", "knn_entropy",
                     "knn_kl"), "divergence"),
    **dict.fromkeys(("BoundaryWarning", "Censored", "CompareResult", "FitResult", "compare",
                     "fit"), "estimate"),
    **dict.fromkeys(("FAMILIES", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy",
                     "Dirichlet", "Distribution", "Exponential", "Family", "Gamma",
                     "Geometric", "Gumbel", "HalfNormal", "InverseGaussian", "Laplace",
                     "Logistic", "LogNormal", "MultivariateNormal", "NegativeBinomial",
                     "Normal", "Ordinal", "Pareto", "Poisson", "Rayleigh", "StudentT",
                     "Tweedie", "Uniform", "Weibull", "get_family", "parse_distribution"),
                    "families"),
    "custom_family": "families.custom",
    **dict.fromkeys(("read_column", "read_table"), "io"),
    **dict.fromkeys(("LINKS", "get_link"), "links"),
    # the regression estimators subclass scikit-learn's BaseEstimator (which imports pandas)
    **dict.fromkeys(("LinearRegression", "LogisticRegression", "Regression", "RegressionCV",
                     "RegressionResult", "compare_models", "lr_test", "vuong_test"),
                    "regression"),
    **dict.fromkeys(("Hurdle", "Mixture", "Shifted", "Truncated", "ZeroInflated"),
                    "families.combinators"),
}
#: sub-packages reachable as attributes (``mk.losses``); ``mk.torch`` imports PyTorch
_SUBMODULES = ("datasets", "losses", "torch")

_wired = False
_wiring = False


def _wire() -> None:
    """Install the fit backends, once: :mod:`mlekit.estimate` behind ``Family.fit``, then the
    Dask hooks of :mod:`mlekit.distributed` around it (which import no dask).

    The package root is the only floor allowed to import every other, so the wiring lives
    here. It runs when the first public name is loaded and when :mod:`mlekit.families`
    finishes importing (so ``from mlekit.families import Normal; Normal.fit(x)`` works in a
    fresh process). Re-entrant calls return at once; if ``mlekit.estimate`` is itself still
    being imported (it imports the families), the wiring is left for the next call.
    """
    global _wired, _wiring
    if _wired or _wiring:
        return
    _wiring = True
    try:
        from . import estimate  # noqa: F401  (installs the in-memory fit backend)
        from .families import base

        if base._FIT_BACKEND is None:  # estimate is mid-import: finish on the next call
            return
        from .distributed import install_hooks

        install_hooks()
        _wired = True
    finally:
        _wiring = False


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


def __getattr__(name: str):
    """Load a public name, or a sub-package, on first use (then cache it in the module)."""
    import importlib

    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        _wire()
        value = getattr(module, name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
        if name != "torch":
            _wire()
    else:
        raise AttributeError(f"module 'mlekit' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "torch"])


class _Package(types.ModuleType):
    """``mk.derive`` is the function, never the sub-package of the same name.

    Importing ``mlekit.derive`` makes the import system bind the sub-package as the
    attribute ``derive`` of this package; the eager ``from .derive import derive`` used to
    rebind the name to the function afterwards. A data descriptor on the module's class
    wins over the module's ``__dict__``, so the function is returned whichever came first.
    """

    @property
    def derive(self) -> Any:
        """The function :func:`mlekit.derive.derive` (loaded on first use)."""
        from .derive import derive

        _wire()
        return derive

    @derive.setter
    def derive(self, value: object) -> None:
        """The import system binds the sub-package here: keep it out of the way."""


sys.modules[__name__].__class__ = _Package
