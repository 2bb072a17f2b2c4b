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
    "DensityError",
    "DerivationError",
    "FormulaError",
    "MlekitError",
    "NoMaximumError",
    "NotImplementedForFamily",
    "NumericalWarning",
    "ParameterError",
    "SeparationError",
    "SingularMatrixError",
    "SupportError",
    "UnknownNameError",
    "did_you_mean",
]


class MlekitError(Exception):
    """Base class of every error mlekit raises on purpose.

    Examples
    --------
    One ``except`` clause catches every deliberate mlekit error, and the message
    says what is wrong and where:

    >>> import mlekit as mk
    >>> from mlekit.errors import MlekitError
    >>> try:
    ...     mk.fit([1.0, float("nan"), 3.0], "normal")
    ... except MlekitError as exc:
    ...     print(type(exc).__name__, "-", exc)
    SupportError - Normal: x contains a NaN value at index 1 (1 of 3 values are not finite)
    """


class DataError(MlekitError, ValueError):
    """The data are unusable: NaN/inf, empty, wrong shape, too few rows, bad file.

    Examples
    --------
    >>> import mlekit as mk
    >>> mk.fit([], "normal")
    Traceback (most recent call last):
        ...
    mlekit.errors.DataError: x is empty: Normal needs at least one observation to fit
    >>> issubclass(mk.errors.DataError, ValueError)      # also a ValueError
    True
    """


class SupportError(DataError):
    """A data value lies outside the support of the family (e.g. y = 2 for Bernoulli).

    Examples
    --------
    >>> import mlekit as mk
    >>> mk.fit([0, 1, 2], "bernoulli")
    Traceback (most recent call last):
        ...
    mlekit.errors.SupportError: Bernoulli: x must satisfy value in {0, 1} (Binary); found 2 ...
    """


class ParameterError(MlekitError, ValueError):
    """A distribution parameter lies outside its domain (e.g. sigma <= 0).

    Examples
    --------
    >>> import mlekit as mk
    >>> mk.Normal(0.0, -1.0)
    Traceback (most recent call last):
        ...
    mlekit.errors.ParameterError: Normal: sigma must satisfy value > 0 (Positive); found -1 ...
    """


class NoMaximumError(DataError):
    """The likelihood has no maximum: the maximum-likelihood estimate does not exist.

    Raised, never reported as a converged fit, when the likelihood keeps increasing
    along some direction of the parameters: a count regression whose y are all zero
    (or zero on every row of a level), a binomial group with only successes, data
    that are all right-censored, a mixture component collapsing on one point, a
    threshold running into the smallest observation. The message names the column,
    level or parameter involved and what to try instead.

    Examples
    --------
    >>> import mlekit as mk
    >>> issubclass(mk.errors.SeparationError, mk.errors.NoMaximumError)
    True
    """


class SeparationError(NoMaximumError):
    """Perfect separation: the maximum-likelihood estimate does not exist (it is infinite).

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> X, y = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([0, 0, 1, 1])
    >>> mk.LogisticRegression().fit(X, y)
    Traceback (most recent call last):
        ...
    mlekit.errors.SeparationError: column 'x0' completely separates y: ...
    """


class SingularMatrixError(DataError):
    """A design or information matrix is singular (collinear columns, flat likelihood).

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> X = np.column_stack([x, 2 * x])                  # the second column is twice the first
    >>> mk.LinearRegression().fit(X, np.array([1.0, 2.0, 3.0, 5.0]))
    Traceback (most recent call last):
        ...
    mlekit.errors.SingularMatrixError: the columns 'x0', 'x1' are collinear ...
    """


class UnknownNameError(MlekitError, ValueError):
    """A family, link, loss or method name that is not registered.

    Examples
    --------
    >>> import mlekit as mk
    >>> mk.get_family("gausian")
    Traceback (most recent call last):
        ...
    mlekit.errors.UnknownNameError: unknown family 'gausian'; did you mean 'gaussian'? ...
    """


class NotImplementedForFamily(MlekitError, NotImplementedError):
    """The family does not provide this feature and no generic path applies.

    Examples
    --------
    >>> import mlekit as mk
    >>> mk.fit([1.0, 2.0, 3.0], "uniform", method="generic")
    Traceback (most recent call last):
        ...
    mlekit.errors.NotImplementedForFamily: Uniform: the support depends on low, high, ...
    """


class FormulaError(MlekitError, ValueError):
    """A user-typed formula (density or model) could not be parsed safely.

    Examples
    --------
    >>> import pandas as pd, mlekit as mk
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1.0, 2.0, 3.0, 5.0]})
    >>> mk.LinearRegression.from_formula("x", df)
    Traceback (most recent call last):
        ...
    mlekit.errors.FormulaError: formula 'x': a formula needs '~' (e.g. 'y ~ x1 + x2'); ...
    """


class DensityError(FormulaError):
    """A user-typed density is not a density: negative somewhere, or not normalised.

    Raised when ``custom_family`` finds the formula negative or its integral (sum)
    over the support different from 1 at one of several parameter points spread
    over the parameter domain; the message names the point and the value found.
    """


class DerivationError(MlekitError, ValueError):
    """The symbolic derivation could not be carried out.

    Examples
    --------
    >>> import mlekit as mk
    >>> d = mk.derive("normal")
    >>> d.nll([1.0, 2.0], mu=0.0)                        # sigma is not given
    Traceback (most recent call last):
        ...
    mlekit.errors.DerivationError: missing value(s) for sigma
    """


class ConvergenceWarning(UserWarning):
    """A solver stopped before its convergence criterion was met.

    A warning, not an error: the estimate is returned and ``result.converged`` is
    ``False``. It is a :class:`UserWarning`, so the usual filters turn it into an
    exception when a run must stop instead.

    Examples
    --------
    >>> import warnings
    >>> from mlekit.errors import ConvergenceWarning
    >>> issubclass(ConvergenceWarning, UserWarning)
    True
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", ConvergenceWarning)
    ...     warnings.warn("solver stopped after 1 iteration", ConvergenceWarning)
    Traceback (most recent call last):
        ...
    mlekit.errors.ConvergenceWarning: solver stopped after 1 iteration
    """


class NumericalWarning(UserWarning):
    """A result was computed, but part of it is numerically doubtful.

    mlekit never lets a raw NumPy ``RuntimeWarning`` (overflow, divide by zero,
    invalid value) reach the user: where such a condition means something, it is
    caught and re-issued as this warning, whose message says which quantity is
    affected and what to try. Like :class:`ConvergenceWarning` it is a
    :class:`UserWarning`, so the usual filters turn it into an exception.
    """


def did_you_mean(name: str, choices: Iterable[str], what: str = "name",
                 aliases: Iterable[str] = ()) -> UnknownNameError:
    """Build an :class:`UnknownNameError` listing the registered choices and the closest one.

    The list of choices comes from a registry, never typed by hand. ``aliases`` (other
    accepted spellings, e.g. ``"gaussian"``) are candidates for the suggestion but are
    not listed.

    Examples
    --------
    >>> from mlekit.errors import did_you_mean
    >>> err = did_you_mean("logitt", ["logit", "probit", "log"], what="link")
    >>> print(err)
    unknown link 'logitt'; did you mean 'logit'? (choose from: log, logit, probit)
    >>> print(did_you_mean("gauss", ["normal", "laplace"], what="family", aliases=["gaussian"]))
    unknown family 'gauss'; did you mean 'gaussian'? (choose from: laplace, normal)
    """
    choices = sorted(set(choices))
    close = difflib.get_close_matches(str(name).lower(), choices + sorted(set(aliases)), n=1,
                                      cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return UnknownNameError(
        f"unknown {what} {name!r}{hint} (choose from: {', '.join(choices)})"
    )
