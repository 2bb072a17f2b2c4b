r"""Named numeric losses, each the negative log-likelihood of a family (up to a and c).

Every loss here is ``loss(y_true, raw_prediction)`` where the prediction is on
the scale the family's NLL is simplest and exact on (STYLE.md §1): logits for
``bce_with_logits`` and ``cross_entropy``, the log-mean for ``poisson``. Each
docstring states the family and the exact relation

.. math:: \mathrm{NLL} = a \cdot \sum_i \mathrm{loss}_i + c

so nothing dropped while optimising is lost (STYLE.md §6).

All losses take ``sample_weight`` (per-row weights) and ``reduction``:
``"mean"`` (weighted mean, Σ w_i l_i / Σ w_i), ``"sum"`` (Σ w_i l_i) or
``"none"`` (the per-row array, weights applied).

No raw NumPy warning escapes: a loss whose true value exceeds the float range
(e.g. a squared error of 1e300 − (−1e300)) is returned as ``inf`` with a
:class:`~mlekit.errors.NumericalWarning` naming the loss and the first row; an
empty input or weights summing to 0 raise :class:`~mlekit.errors.DataError`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.special import log_expit, logsumexp, xlogy

from .domains import as_float_array, first_bad_index
from .errors import DataError, NumericalWarning, ParameterError, SupportError, did_you_mean

__all__ = [
    "LOSSES",
    "LOSS_FAMILY",
    "bce",
    "bce_with_logits",
    "cross_entropy",
    "gamma_deviance",
    "get_loss",
    "mae",
    "mse",
    "pinball",
    "poisson",
    "poisson_deviance",
]

_REDUCTIONS = ("mean", "sum", "none")


class LossOptionError(ParameterError, DataError):
    """A bad option of a loss (``reduction``, ``quantile``): a :class:`ParameterError`,
    and still a :class:`DataError`, which these options raised before."""


def _arrays(y_true: Any, y_pred: Any, what: str = "y_pred") -> tuple[np.ndarray, np.ndarray]:
    y = as_float_array(y_true, "y_true")
    p = as_float_array(y_pred, what)
    for name, a in (("y_true", y), (what, p)):
        bad = ~np.isfinite(a)
        if bad.any():
            raise DataError(f"{name} contains a non-finite value at index {first_bad_index(bad)}")
    # Broadcasting is allowed only when one side already has the result's shape (a
    # scalar prediction, say): (3,) against (2,) is an error, and so is (n,) against
    # (n, 1), which NumPy would silently turn into an (n, n) table of losses.
    try:
        shape = np.broadcast_shapes(y.shape, p.shape)
    except ValueError:
        shape = None
    if shape is None or shape not in (y.shape, p.shape):
        raise DataError(f"y_true has shape {y.shape} but {what} has shape {p.shape}; "
                        "they must have the same shape (or one must broadcast to the other)")
    return y, p


def _overflowed(values: np.ndarray, loss: str, why: str) -> np.ndarray:
    """Warn (by name, with the first row) where a per-row loss overflowed to +inf."""
    over = np.isposinf(values)
    if over.any():
        warnings.warn(f"{loss}: the loss overflows the float range at index "
                      f"{first_bad_index(over)} ({int(over.sum())} rows; {why}); it is inf "
                      "there. Rescale y and the prediction.", NumericalWarning, stacklevel=3)
    return values


def _reduce(values: np.ndarray, sample_weight: Any, reduction: str) -> np.ndarray | float:
    if reduction not in _REDUCTIONS:
        raise LossOptionError(f"reduction must be one of {', '.join(_REDUCTIONS)}; "
                              f"got {reduction!r}")
    if values.size == 0 and reduction == "mean":
        raise DataError("y_true and the prediction are empty: the mean loss of no rows is "
                        "undefined (use reduction='sum' for 0)")
    if sample_weight is not None:
        w = as_float_array(sample_weight, "sample_weight")
        if w.shape != values.shape[:1] and w.shape != values.shape:
            raise DataError(f"sample_weight must have shape {values.shape[:1]}; got {w.shape}")
        if np.any(~np.isfinite(w) | (w < 0)):
            raise DataError("sample_weight must be finite and >= 0 (index "
                            f"{first_bad_index(~np.isfinite(w) | (w < 0))})")
    else:
        w = None
    if w is not None and reduction == "mean":
        if not np.any(w > 0):
            raise DataError("sample_weight is all 0: the weighted mean loss is undefined")
        w = w / np.max(w)  # the weighted mean is scale-free: avoid overflowing Σ w
    with np.errstate(over="ignore", invalid="ignore"):
        weighted = values if w is None else np.where(w == 0, 0.0, w * values)
        if reduction == "none":
            out: np.ndarray | float = weighted
        elif reduction == "sum":
            out = float(np.sum(weighted))
        elif w is None:
            out = float(np.mean(values))
        else:
            out = float(np.sum(weighted) / np.sum(w))
    finite_rows = not np.any(np.isposinf(weighted))
    if finite_rows and np.any(np.isposinf(out)):
        warnings.warn(f"the {reduction} of the losses overflows the float range (each row is "
                      "finite); it is inf. Use reduction='mean' or rescale the data.",
                      NumericalWarning, stacklevel=3)
    return out


def _check_in(y: np.ndarray, ok: np.ndarray, rule: str, loss: str, name: str = "y_true") -> None:
    if not np.all(ok):
        bad = ~ok
        raise SupportError(f"{loss}: {name} must satisfy {rule}; found "
                           f"{float(y[bad].ravel()[0]):g} at index {first_bad_index(bad)}")


def mse(y_true: Any, y_pred: Any, sample_weight: Any = None, reduction: str = "mean"):
    r"""Squared error ``(y - mu)^2`` — the Normal NLL in ``mu`` with sigma fixed.

    .. math:: \mathrm{NLL} = \frac{1}{2\sigma^2}\sum_i (y_i-\mu_i)^2 + m\log\sigma
              + \frac{m}{2}\log 2\pi

    so ``a = 1/(2 sigma^2)`` and ``c = m log sigma + (m/2) log 2 pi``.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> y, mu, sigma = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0]), 2.0
    >>> round(mk.losses.mse(y, mu), 4)                   # (0.25 + 0 + 1) / 3
    0.4167
    >>> m = len(y)
    >>> nll = -mk.get_family("normal").logpdf(y, mu, sigma).sum()
    >>> a, c = 1 / (2 * sigma**2), m * np.log(sigma) + m / 2 * np.log(2 * np.pi)
    >>> bool(np.isclose(nll, a * mk.losses.mse(y, mu, reduction="sum") + c))
    True
    """
    y, mu = _arrays(y_true, y_pred)
    with np.errstate(over="ignore"):
        values = (y - mu) ** 2
    return _reduce(_overflowed(values, "mse", "|y - mu| > 1.3e154"), sample_weight, reduction)


def mae(y_true: Any, y_pred: Any, sample_weight: Any = None, reduction: str = "mean"):
    r"""Absolute error ``|y - mu|`` — the Laplace NLL in the location ``mu`` with scale b fixed.

    .. math:: \mathrm{NLL} = \frac{1}{b}\sum_i |y_i-\mu_i| + m\log(2b)

    ``a = 1/b``, ``c = m log(2b)``; its minimiser is the (conditional) median.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> y, mu, b = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0]), 0.5
    >>> round(mk.losses.mae(y, mu), 4)                   # (0.5 + 0 + 1) / 3
    0.5
    >>> nll = -mk.get_family("laplace").logpdf(y, mu, b).sum()
    >>> a, c = 1 / b, len(y) * np.log(2 * b)
    >>> bool(np.isclose(nll, a * mk.losses.mae(y, mu, reduction="sum") + c))
    True
    """
    y, mu = _arrays(y_true, y_pred)
    with np.errstate(over="ignore"):
        values = np.abs(y - mu)
    return _reduce(_overflowed(values, "mae", "|y - mu| > 1.8e308"), sample_weight, reduction)


def pinball(y_true: Any, y_pred: Any, quantile: float = 0.5, sample_weight: Any = None,
            reduction: str = "mean"):
    r"""Pinball (quantile) loss ``max(q r, (q - 1) r)`` with ``r = y - mu``.

    The NLL of the asymmetric Laplace distribution with skew ``q`` and scale b:
    ``NLL = (1/b) Σ rho_q(r_i) + m log(b / (q(1-q)))``; at ``q = 0.5`` it is
    ``mae / 2``. Its minimiser is the q-th conditional quantile.

    Examples
    --------
    The asymmetric Laplace density ``q(1-q)/b · exp(-rho_q(y - mu)/b)`` is not a
    registered family, so its log-density is written out here:

    >>> import numpy as np, mlekit as mk
    >>> y, mu, q, b = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0]), 0.9, 0.5
    >>> round(mk.losses.pinball(y, mu, quantile=q), 4)   # (0.1·0.5 + 0 + 0.9·1) / 3
    0.3167
    >>> r = y - mu
    >>> logpdf = np.log(q * (1 - q) / b) - np.maximum(q * r, (q - 1) * r) / b
    >>> a, c = 1 / b, len(y) * np.log(b / (q * (1 - q)))
    >>> bool(np.isclose(-logpdf.sum(),
    ...                 a * mk.losses.pinball(y, mu, quantile=q, reduction="sum") + c))
    True
    >>> mk.losses.pinball(y, mu, quantile=0.5) == mk.losses.mae(y, mu) / 2
    True
    """
    try:
        q_ok = 0.0 < float(quantile) < 1.0
    except (TypeError, ValueError):
        q_ok = False
    if not q_ok:
        raise LossOptionError(f"pinball: quantile must be a number in (0, 1); got {quantile!r}")
    y, mu = _arrays(y_true, y_pred)
    with np.errstate(over="ignore", invalid="ignore"):
        r = y - mu
        values = np.maximum(quantile * r, (quantile - 1.0) * r)
    return _reduce(_overflowed(values, "pinball", "|y - mu| > 1.8e308"), sample_weight,
                   reduction)


def bce(y_true: Any, y_pred: Any, sample_weight: Any = None, reduction: str = "mean"):
    r"""Binary cross-entropy on probabilities — the Bernoulli NLL (``a = 1``, ``c = 0``).

    .. math:: -[y\log p + (1-y)\log(1-p)]

    Probabilities of exactly 0 or 1 give ``inf`` where the label disagrees (no
    clipping). Prefer :func:`bce_with_logits`, which is exact for any logit.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> y, p = np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.2, 0.6])
    >>> round(mk.losses.bce(y, p), 4)
    0.2798
    >>> nll = -mk.get_family("bernoulli").logpdf(y, p).sum()   # a = 1, c = 0
    >>> bool(np.isclose(nll, mk.losses.bce(y, p, reduction="sum")))
    True
    >>> mk.losses.bce([1.0], [0.0])                      # certain and wrong: no clipping
    inf
    """
    y, p = _arrays(y_true, y_pred)
    _check_in(y, (y >= 0) & (y <= 1), "0 <= y <= 1", "bce")
    _check_in(p, (p >= 0) & (p <= 1), "0 <= p <= 1 (y_pred are probabilities)", "bce",
              "y_pred")
    with np.errstate(divide="ignore"):
        values = -(xlogy(y, p) + xlogy(1.0 - y, 1.0 - p))
    return _reduce(values, sample_weight, reduction)


def bce_with_logits(y_true: Any, logits: Any, sample_weight: Any = None,
                    reduction: str = "mean"):
    r"""Binary cross-entropy on logits ``eta`` — the Bernoulli NLL with ``p = sigmoid(eta)``.

    .. math:: \log(1 + e^{\eta}) - y\eta = -[y \log\sigma(\eta) + (1-y)\log\sigma(-\eta)]

    computed with ``log_expit``: logits of ±1000 give finite, exact values
    (``0`` and ``1000``). ``a = 1``, ``c = 0``.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> from scipy.special import expit
    >>> y, eta = np.array([1.0, 0.0, 1.0]), np.array([2.0, -1.0, 0.5])
    >>> round(mk.losses.bce_with_logits(y, eta), 4)
    0.3048
    >>> nll = -mk.get_family("bernoulli").logpdf(y, expit(eta)).sum()   # a = 1, c = 0
    >>> bool(np.isclose(nll, mk.losses.bce_with_logits(y, eta, reduction="sum")))
    True
    >>> mk.losses.bce_with_logits([1.0, 0.0], [1000.0, 1000.0], reduction="none")
    array([   0., 1000.])
    """
    y, eta = _arrays(y_true, logits, "logits")
    _check_in(y, (y >= 0) & (y <= 1), "0 <= y <= 1", "bce_with_logits")
    values = -(y * log_expit(eta) + (1.0 - y) * log_expit(-eta))
    return _reduce(values, sample_weight, reduction)


def cross_entropy(y_true: Any, logits: Any, sample_weight: Any = None, reduction: str = "mean"):
    r"""Softmax cross-entropy — the Categorical NLL with ``p = softmax(eta)`` (``a = 1, c = 0``).

    .. math:: \operatorname{logsumexp}_j(\eta_{ij}) - \eta_{i, y_i}

    ``y_true`` holds class indices ``0 … k-1`` (shape (n,)) or probability rows
    (shape (n, k), soft labels: ``-Σ_j y_ij log softmax(eta_i)_j``). Exact for
    logits of any size (``logsumexp``).

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> from scipy.special import softmax
    >>> eta = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    >>> y = np.array([0, 2])
    >>> round(mk.losses.cross_entropy(y, eta), 4)
    0.2056
    >>> nll = -mk.get_family("categorical").logpdf(y, softmax(eta, axis=1)).sum()
    >>> bool(np.isclose(nll, mk.losses.cross_entropy(y, eta, reduction="sum")))  # a=1, c=0
    True
    >>> onehot = np.eye(3)[y]                            # soft labels give the same value
    >>> bool(np.isclose(mk.losses.cross_entropy(onehot, eta), mk.losses.cross_entropy(y, eta)))
    True
    """
    y = as_float_array(y_true, "y_true")
    eta = as_float_array(logits, "logits")
    if eta.ndim != 2:
        raise DataError(f"cross_entropy: logits must have shape (n, k); got {eta.shape}")
    if not np.all(np.isfinite(eta)):
        raise DataError(f"logits contain a non-finite value at index "
                        f"{first_bad_index(~np.isfinite(eta))}")
    logp = eta - logsumexp(eta, axis=1, keepdims=True)
    k = eta.shape[1]
    if y.ndim == 1:
        if y.shape[0] != eta.shape[0]:
            raise DataError(f"cross_entropy: y_true has {y.shape[0]} rows but logits has "
                            f"{eta.shape[0]} (shape {eta.shape}); they must match")
        _check_in(y, (y == np.floor(y)) & (y >= 0) & (y <= k - 1),
                  f"value in {{0, ..., {k - 1}}}", "cross_entropy")
        values = 0.0 - np.take_along_axis(logp, y.astype(np.intp)[:, None], axis=1)[:, 0]
    else:
        if y.shape != eta.shape:
            raise DataError(f"cross_entropy: y_true shape {y.shape} != logits shape {eta.shape}")
        values = -np.sum(np.where(y != 0, y * logp, 0.0), axis=1)
    return _reduce(values, sample_weight, reduction)


def poisson(y_true: Any, log_mu: Any, sample_weight: Any = None, reduction: str = "mean",
            full: bool = False):
    r"""Poisson NLL on the log-mean ``eta = log mu``: ``e^eta - y eta`` (``a = 1``).

    .. math:: \mathrm{NLL} = \sum_i (e^{\eta_i} - y_i\eta_i) + \sum_i \log y_i!

    so ``c = Σ log y_i!``; ``full=True`` adds it (the exact NLL). The Poisson
    deviance is ``2 [y log(y/mu) - (y - mu)]``, what
    ``sklearn.metrics.mean_poisson_deviance`` averages (:func:`poisson_deviance`).

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> from scipy.special import gammaln
    >>> y, mu = np.array([0.0, 2.0, 5.0]), np.array([1.0, 2.5, 4.0])
    >>> round(mk.losses.poisson(y, np.log(mu)), 4)
    -0.4214
    >>> nll = -mk.get_family("poisson").logpdf(y, mu).sum()
    >>> c = gammaln(y + 1).sum()                         # sum of log y!
    >>> bool(np.isclose(nll, mk.losses.poisson(y, np.log(mu), reduction="sum") + c))
    True
    >>> bool(np.isclose(nll, mk.losses.poisson(y, np.log(mu), reduction="sum", full=True)))
    True
    """
    from scipy.special import gammaln

    y, eta = _arrays(y_true, log_mu, "log_mu")
    _check_in(y, y >= 0, "y >= 0", "poisson")
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.exp(eta) - y * eta
        if full:
            values = values + gammaln(y + 1.0)
    # exp(eta) overflows only for eta > 709.78, where it dominates y·eta: the loss is +inf
    values = np.where(np.isnan(values), np.inf, values)
    return _reduce(_overflowed(values, "poisson", "exp(log_mu) > 1.8e308 or y·log_mu "
                               "overflows"), sample_weight, reduction)


def poisson_deviance(y_true: Any, y_pred: Any, sample_weight: Any = None,
                     reduction: str = "mean"):
    r"""Poisson unit deviance ``2 [y log(y/mu) - y + mu]`` on the mean ``mu > 0``.

    Equals ``2 (NLL(mu) - NLL(y))``: twice the Poisson NLL minus that of the
    saturated model.

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> y, mu = np.array([0.0, 2.0, 5.0]), np.array([1.0, 2.5, 4.0])
    >>> round(mk.losses.poisson_deviance(y, mu), 4)
    0.7796
    >>> poisson = mk.get_family("poisson")
    >>> nll, nll_saturated = -poisson.logpdf(y, mu).sum(), -poisson.logpdf(y, y).sum()
    >>> bool(np.isclose(mk.losses.poisson_deviance(y, mu, reduction="sum"),
    ...                 2 * (nll - nll_saturated)))
    True
    """
    y, mu = _arrays(y_true, y_pred)
    _check_in(y, y >= 0, "y >= 0", "poisson_deviance")
    _check_in(mu, mu > 0, "mu > 0", "poisson_deviance", "y_pred")
    with np.errstate(over="ignore"):
        # y log(y/mu) − y + mu, with log(y/mu) = log y − log mu (no overflow of y/mu)
        values = 2.0 * (xlogy(y, y) - xlogy(y, mu) - y + mu)
    return _reduce(_overflowed(values, "poisson_deviance", "|y - mu| near the float limit"),
                   sample_weight, reduction)


def gamma_deviance(y_true: Any, y_pred: Any, sample_weight: Any = None, reduction: str = "mean"):
    r"""Gamma unit deviance ``2 [-log(y/mu) + (y - mu)/mu]`` on the mean ``mu > 0``.

    The Gamma NLL with mean ``mu`` and shape ``k`` (dispersion ``1/k``) is

    .. math:: \mathrm{NLL} = \frac{k}{2}\sum_i d(y_i,\mu_i)
              + \sum_i\bigl[\log\Gamma(k) - k\log k + k + \log y_i\bigr]

    so ``a = k/2`` and ``c`` is the second sum (free of ``mu``).

    Examples
    --------
    The registered Gamma family has ``(shape, rate)``; mean ``mu`` means ``rate = k/mu``:

    >>> import numpy as np, mlekit as mk
    >>> from scipy.special import gammaln
    >>> y, mu, k = np.array([0.5, 2.0, 3.0]), np.array([1.0, 1.5, 2.5]), 2.0
    >>> round(mk.losses.gamma_deviance(y, mu), 4)
    0.171
    >>> nll = -mk.get_family("gamma").logpdf(y, k, k / mu).sum()
    >>> c = np.sum(gammaln(k) - k * np.log(k) + k + np.log(y))
    >>> bool(np.isclose(nll, k / 2 * mk.losses.gamma_deviance(y, mu, reduction="sum") + c))
    True
    """
    y, mu = _arrays(y_true, y_pred)
    _check_in(y, y > 0, "y > 0", "gamma_deviance")
    _check_in(mu, mu > 0, "mu > 0", "gamma_deviance", "y_pred")
    with np.errstate(over="ignore"):
        # −log(y/mu) + y/mu − 1 with the log taken as log y − log mu: exact where y/mu
        # under- or overflows; y/mu > 1.8e308 makes the deviance itself overflow
        values = 2.0 * ((np.log(mu) - np.log(y)) + (y / mu - 1.0))
    return _reduce(_overflowed(values, "gamma_deviance", "y / mu > 1.8e308"), sample_weight,
                   reduction)


LOSSES: dict[str, Any] = {
    f.__name__: f
    for f in (mse, mae, pinball, bce, bce_with_logits, cross_entropy, poisson,
              poisson_deviance, gamma_deviance)
}
#: the family whose NLL each loss is (for listings and the CLI)
LOSS_FAMILY: dict[str, str] = {
    "mse": "normal", "mae": "laplace", "pinball": "asymmetric laplace", "bce": "bernoulli",
    "bce_with_logits": "bernoulli", "cross_entropy": "categorical", "poisson": "poisson",
    "poisson_deviance": "poisson", "gamma_deviance": "gamma",
}


def get_loss(name: str):
    """The loss function called ``name`` (did-you-mean on typos).

    Examples
    --------
    >>> import mlekit as mk
    >>> mse = mk.losses.get_loss("MSE")                  # case-insensitive
    >>> mse is mk.losses.mse, mk.losses.LOSS_FAMILY["mse"]
    (True, 'normal')
    >>> round(mse([1.0, 2.0], [1.0, 3.0]), 4)
    0.5
    >>> mk.losses.get_loss("mes")
    Traceback (most recent call last):
        ...
    mlekit.errors.UnknownNameError: unknown loss 'mes'; did you mean 'mse'? (choose from: ...)
    """
    key = str(name).lower()
    if key not in LOSSES:
        raise did_you_mean(name, LOSSES, what="loss")
    return LOSSES[key]
