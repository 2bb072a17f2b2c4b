"""Families of distributions: one file each, registered here with one line.

``FAMILIES`` maps registry names to family singletons; :func:`get_family`
looks a name up (with a "did you mean" on typos); :func:`parse_distribution`
reads ``"normal(mu=0, sigma=1)"`` safely.
"""

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
from .categorical import Categorical
from .normal import Normal

register_family(Normal, aliases=("gaussian", "norm"))
register_family(Bernoulli)
register_family(Categorical, aliases=("multinomial",))
# --- continuous families, group A (one line each) ---
from .beta import Beta  # noqa: E402
from .cauchy import Cauchy  # noqa: E402
from .exponential import Exponential  # noqa: E402
from .gamma import Gamma  # noqa: E402
from .gumbel import Gumbel  # noqa: E402
from .halfnormal import HalfNormal  # noqa: E402
from .laplace import Laplace  # noqa: E402
from .logistic import Logistic  # noqa: E402
from .lognormal import LogNormal  # noqa: E402
from .studentt import StudentT  # noqa: E402
from .weibull import Weibull  # noqa: E402

register_family(Beta)
register_family(Cauchy)
register_family(Exponential, aliases=("expon",))
register_family(Gamma)
register_family(Gumbel, aliases=("gumbelr",))
register_family(HalfNormal, aliases=("halfnorm",))
register_family(Laplace)
register_family(Logistic)
register_family(LogNormal, aliases=("lognorm",))
register_family(StudentT, aliases=("t", "student"))
register_family(Weibull, aliases=("weibullmin",))
# --- end group A ---
# --- families, group B (one line each) ---
from .binomial import Binomial  # noqa: E402
from .dirichlet import Dirichlet  # noqa: E402
from .geometric import Geometric  # noqa: E402
from .inversegaussian import InverseGaussian  # noqa: E402
from .multivariatenormal import MultivariateNormal  # noqa: E402
from .negativebinomial import NegativeBinomial  # noqa: E402
from .pareto import Pareto  # noqa: E402
from .poisson import Poisson  # noqa: E402
from .rayleigh import Rayleigh  # noqa: E402
from .uniform import Uniform  # noqa: E402

register_family(Binomial, aliases=("binom",))
register_family(Dirichlet)
register_family(Geometric, aliases=("geom",))
register_family(InverseGaussian, aliases=("invgauss", "wald"))
register_family(MultivariateNormal, aliases=("mvn", "multinormal"))
register_family(NegativeBinomial, aliases=("nbinom", "negbin", "nb2", "negbinomial",
                                            "negbinom", "nbinomial"))
register_family(Pareto)
register_family(Poisson)
register_family(Rayleigh)
register_family(Uniform)
# --- end group B ---
from .tweedie import Tweedie  # noqa: E402

register_family(Tweedie)
from .ordinal import Ordinal  # noqa: E402

register_family(Ordinal)

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
