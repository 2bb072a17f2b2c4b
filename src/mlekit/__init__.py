"""mlekit — where does your loss function come from?

State a probability model; mlekit derives its negative log-likelihood step by
step, fits it by maximum likelihood, reports how certain the fit is, and
measures how far model and data are apart (KL divergence).
"""

from . import errors
from .families import (
    FAMILIES,
    Bernoulli,
    Categorical,
    Distribution,
    Family,
    Normal,
    get_family,
    parse_distribution,
)
from .links import LINKS, get_link

__version__ = "0.1.0"

__all__ = [
    "FAMILIES",
    "LINKS",
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Family",
    "Normal",
    "errors",
    "get_family",
    "get_link",
    "parse_distribution",
]
