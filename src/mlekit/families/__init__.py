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
# --- end group A ---
# --- families, group B (one line each) ---
# --- end group B ---

__all__ = [
    "FAMILIES",
    "KL_REGISTRY",
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Family",
    "Normal",
    "Parameter",
    "SymbolicDensity",
    "get_family",
    "lookup_kl",
    "parse_distribution",
    "register_family",
    "register_kl",
]
