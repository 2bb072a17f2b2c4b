"""Families of distributions: one file each, imported here and registered from one row
of :data:`mlekit._utils.family_names.FAMILY_TABLE` (names as plain strings).

``FAMILIES`` maps registry names to family singletons; :func:`get_family`
looks a name up (with a "did you mean" on typos); :func:`parse_distribution`
reads ``"normal(mu=0, sigma=1)"`` safely.
"""

from .._utils.family_names import FAMILY_TABLE
from ._registry import (
    FAMILIES,
    KL_REGISTRY,
    get_family,
    lookup_kl,
    parse_distribution,
    register_family,
    register_kl,
)
from .base import Distribution, Family, Parameter, SymbolicDensity
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .dirichlet import Dirichlet
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .gumbel import Gumbel
from .halfnormal import HalfNormal
from .inversegaussian import InverseGaussian
from .laplace import Laplace
from .logistic import Logistic
from .lognormal import LogNormal
from .multivariatenormal import MultivariateNormal
from .negativebinomial import NegativeBinomial
from .normal import Normal
from .ordinal import Ordinal
from .pareto import Pareto
from .poisson import Poisson
from .rayleigh import Rayleigh
from .studentt import StudentT
from .tweedie import Tweedie
from .uniform import Uniform
from .weibull import Weibull


def _register_builtins() -> None:
    """Register each built-in family from its row of the name table (names and aliases
    live there as plain strings, so the command line can check a name without importing
    a family); a row whose name differs from its family's ``name`` stops the import."""
    for name, attr, aliases in FAMILY_TABLE:
        family = globals()[attr]
        if family.name != name:  # pragma: no cover - caught by any test run
            raise RuntimeError(f"mlekit._utils.family_names: row {name!r} names "
                               f"{attr}, whose registry name is {family.name!r}")
        register_family(family, aliases=aliases)


_register_builtins()

__all__ = [
    "FAMILIES",
    "KL_REGISTRY",
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Dirichlet",
    "Distribution",
    "Exponential",
    "Family",
    "Gamma",
    "Geometric",
    "Gumbel",
    "HalfNormal",
    "InverseGaussian",
    "Laplace",
    "LogNormal",
    "Logistic",
    "MultivariateNormal",
    "NegativeBinomial",
    "Normal",
    "Ordinal",
    "Parameter",
    "Pareto",
    "Poisson",
    "Rayleigh",
    "StudentT",
    "SymbolicDensity",
    "Tweedie",
    "Uniform",
    "Weibull",
    "get_family",
    "lookup_kl",
    "parse_distribution",
    "register_family",
    "register_kl",
]


def __getattr__(name: str):
    """The combinators (``ZeroInflated``, ``Hurdle``, ``Truncated``), loaded on first use."""
    if name in ("Hurdle", "Mixture", "Shifted", "Truncated", "ZeroInflated"):
        from . import combinators

        return getattr(combinators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _ask_root_to_wire() -> None:
    """``Family.fit`` needs the backend that :mod:`mlekit.estimate` (a floor above) installs.

    ``import mlekit`` no longer imports the families, so a program that starts with
    ``from mlekit.families import Normal`` would find no backend. The families import
    nothing above them; they ask the package root, which may import every floor, to do
    the wiring (``mlekit._wire``: idempotent, and a no-op while estimate is mid-import).
    """
    import sys

    root = sys.modules.get(__name__.rpartition(".")[0])
    wire = getattr(root, "_wire", None)
    if wire is not None:
        wire()


_ask_root_to_wire()
