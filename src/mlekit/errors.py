"""Exceptions and warnings of mlekit (floor 0: imports nothing from mlekit).

Every error raised for bad input is a subclass of :class:`MlekitError` and its
message names *what* is wrong and *where* (parameter, column, first bad index)
and the rule that was broken. The command line turns any ``MlekitError`` into
one line on stderr and exit status 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "DerivationError",
    "FormulaError",
    "MlekitError",
    "NotImplementedForFamily",
    "ParameterError",
    "SeparationError",
    "SingularMatrixError",
    "SupportError",
    "UnknownNameError",
    "did_you_mean",
]


class MlekitError(Exception):
    """Base class of every error mlekit raises on purpose."""


class DataError(MlekitError, ValueError):
    """The data are unusable: NaN/inf, empty, wrong shape, too few rows, bad file."""


class SupportError(DataError):
    """A data value lies outside the support of the family (e.g. y = 2 for Bernoulli)."""


class ParameterError(MlekitError, ValueError):
    """A distribution parameter lies outside its domain (e.g. sigma <= 0)."""


class SeparationError(DataError):
    """Perfect separation: the maximum-likelihood estimate does not exist (it is infinite)."""


class SingularMatrixError(DataError):
    """A design or information matrix is singular (collinear columns, flat likelihood)."""


class UnknownNameError(MlekitError, ValueError):
    """A family, link, loss or method name that is not registered."""


class NotImplementedForFamily(MlekitError, NotImplementedError):
    """The family does not provide this feature and no generic path applies."""


class FormulaError(MlekitError, ValueError):
    """A user-typed formula (density or model) could not be parsed safely."""


class DerivationError(MlekitError, ValueError):
    """The symbolic derivation could not be carried out."""


class ConvergenceWarning(UserWarning):
    """A solver stopped before its convergence criterion was met."""


def did_you_mean(name: str, choices: Iterable[str], what: str = "name",
                 aliases: Iterable[str] = ()) -> UnknownNameError:
    """Build an :class:`UnknownNameError` listing the registered choices and the closest one.

    The list of choices comes from a registry, never typed by hand. ``aliases`` (other
    accepted spellings, e.g. ``"gaussian"``) are candidates for the suggestion but are
    not listed.
    """
    choices = sorted(set(choices))
    close = difflib.get_close_matches(str(name).lower(), choices + sorted(set(aliases)), n=1,
                                      cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return UnknownNameError(
        f"unknown {what} {name!r}{hint} (choose from: {', '.join(choices)})"
    )
