r"""Categorical family over ``k`` classes, parameterised by ``p`` or ``logits``.

.. math::

    P(x = j;\,p) = p_j = \prod_{c=1}^{k} p_c^{[x=c]},
    \qquad x\in\{0,\dots,k-1\},\ p\in\Delta^{k-1} .

Its NLL is the categorical cross-entropy ``−Σ_i log p_{x_i}``; on logits it is
``Σ_i [logsumexp(η_i) − η_{i,x_i}]`` (softmax cross-entropy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import log_softmax, logsumexp, xlogy

from ..domains import Categories, Real, Simplex
from ..errors import ParameterError, SupportError
from ._registry import register_kl
from ._rowmodel import RowModel, Slot
from .base import Family, Parameter, SymbolicDensity

#: the most classes a fit infers from the labels alone (k = max label + 1)
_MAX_CLASSES = 1_000_000


# ---------------------------------------------------------------- fast path: link-space row model
@dataclass
class CategoricalModel(RowModel):
    r"""Categorical with softmax link: multinomial logistic regression.

    Class 0 is the reference (its logit is 0, as in statsmodels' MNLogit); slots
    ``1 … k-1`` hold the logits of the other classes.

    .. math:: \ell = \operatorname{logsumexp}(0, \eta_1, \dots, \eta_{k-1}) - \eta_{y}
    """

    n_classes: int = 2
    classification: ClassVar[bool] = True
    allowed_links: ClassVar[tuple[str, ...]] = ("softmax",)

    @property
    def slots(self) -> list[Slot]:
        return [Slot(f"y={j}", "X") for j in range(1, self.n_classes)]

    @property
    def mean_slots(self) -> list[Slot]:
        return self.slots

    def check_y(self, y, aux):
        return y

    def init_eta(self, y, w, aux):
        counts = np.bincount(y.astype(np.intp), weights=w, minlength=self.n_classes) + 0.5
        return np.log(counts[1:] / counts[0])

    def _full(self, eta):
        return np.concatenate([np.zeros((eta.shape[0], 1)), eta], axis=1)

    def rows(self, y, eta, aux, order=2):
        full = self._full(eta)
        lse = logsumexp(full, axis=1)
        yi = y.astype(np.intp)
        nll = lse - np.take_along_axis(full, yi[:, None], axis=1)[:, 0]
        if order == 0:
            return nll, None, None
        p = np.exp(full[:, 1:] - lse[:, None])
        onehot = (yi[:, None] == np.arange(1, self.n_classes)[None, :]).astype(float)
        g = p - onehot
        if order == 1:
            return nll, g, None
        h = -p[:, :, None] * p[:, None, :]
        idx = np.arange(self.n_classes - 1)
        h[:, idx, idx] += p
        return nll, g, h

    def mean(self, eta):
        full = self._full(eta)
        return np.exp(full - logsumexp(full, axis=1, keepdims=True))

    def distribution_params(self, eta, aux):
        return {"logits": self._full(eta)}

    def unit_deviance(self, y, eta, aux):
        return 2.0 * self.rows(y, eta, aux, order=0)[0]

    saturated_zero: ClassVar[bool] = True

    def saturated_nll(self, y, aux):
        return np.zeros_like(y)  # the observed class has probability 1: log-likelihood 0


class CategoricalFamily(Family):
    r"""Categorical(p): class probabilities ``p`` (last axis, summing to 1), or ``logits=``.

    .. math:: P(x = j) = p_j

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.Categorical(p=[0.2, 0.3, 0.5])
    >>> np.round(d.logpmf([0, 2]), 4)
    array([-1.6094, -0.6931])
    >>> res = mk.Categorical.fit([0, 1, 1, 2, 2, 2, 2, 2])   # class frequencies
    >>> np.round(res.params["p"], 4)
    array([0.125, 0.25 , 0.625])
    """

    name = "categorical"
    title = "Categorical"
    #: the hand-written link-space row model (regression fast path)
    row_model = CategoricalModel
    parameters = (Parameter("p", Simplex, "p", event_ndim=1),)
    support = Categories(2)
    discrete = True
    mean_parameter = "p"
    canonical_link = "softmax"
    aux_names = ("logits",)
    classifier = "multiclass"
    example_params = {"p": [0.2, 0.3, 0.5]}

    def _convert_params(self, params):
        if "logits" in params:
            if "p" in params:
                raise ParameterError("Categorical: give either p or logits, not both")
            eta = Real.check(params.pop("logits"), what="logits", owner=self.title,
                             error=ParameterError)
            if eta.ndim == 0:
                raise ParameterError("Categorical: logits must have a last axis of classes")
            params["logits"] = log_softmax(eta, axis=-1)
            params["p"] = np.exp(params["logits"])
        return params

    def support_of(self, p=None, **_):
        k = 2 if p is None else np.shape(p)[-1]
        return Categories(int(k))

    def logpdf(self, x, p, logits=None):
        x = np.asarray(x, float)
        k = np.shape(p)[-1]
        valid = (x == np.floor(x)) & (x >= 0) & (x <= k - 1)
        idx = np.where(valid, x, 0).astype(np.intp)
        batch = np.broadcast_shapes(idx.shape, np.shape(p)[:-1])
        if logits is not None:  # normalised log-probabilities, exact where p underflows
            logp = np.broadcast_to(logits, batch + (k,))
            zero = np.broadcast_to(np.isneginf(logits), batch + (k,))
        else:
            logp = np.broadcast_to(np.log(np.where(p > 0, p, 1.0)), batch + (k,))
            zero = np.broadcast_to(np.asarray(p) == 0, batch + (k,))
        idx_b = np.broadcast_to(idx, batch)[..., None]
        out = np.take_along_axis(logp, idx_b, axis=-1)[..., 0]
        out = np.where(np.take_along_axis(zero, idx_b, axis=-1)[..., 0], -np.inf, out)
        return np.where(np.broadcast_to(valid, batch), out, -np.inf)

    def sample(self, size, rng, p):
        p = np.asarray(p, float)
        shape = tuple(size) + p.shape[:-1]
        cum = np.cumsum(p, axis=-1)
        u = rng.random(shape + (1,))
        return np.minimum((u > cum).sum(axis=-1), p.shape[-1] - 1).astype(float)

    def mean(self, p):
        """The mean of the one-hot encoding of x, i.e. ``p`` itself."""
        return np.asarray(p, float)

    def var(self, p):
        """Variances of the one-hot indicators, ``p (1 − p)``."""
        return p * (1.0 - p)

    def entropy(self, p):
        return -np.sum(xlogy(p, p), axis=-1)

    def score(self, x, p, logits=None):
        r"""∂ log P(x)/∂p_j = [x = j] / p_j, shape ``batch + (k,)``.

        The derivative in the ambient coordinates p ∈ ℝᵏ (log P(x) = log p_x); the
        estimate engine chains it through its softmax map of the simplex, so the
        constraint Σ p_j = 1 needs no term here. (SymPy cannot differentiate the
        indexed one-hot density, so these are written out.)
        """
        onehot, pb = self._onehot(x, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"p": np.where(onehot, 1.0 / pb, 0.0)}

    def hessian(self, x, p, logits=None):
        r"""∂² log P(x)/∂p_j∂p_l = −[x = j] [j = l] / p_j², shape ``batch + (k, k)``."""
        onehot, pb = self._onehot(x, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            diag = np.where(onehot, -1.0 / (pb * pb), 0.0)
        k = diag.shape[-1]
        out = np.zeros(diag.shape + (k,))
        idx = np.arange(k)
        out[..., idx, idx] = diag
        return {("p", "p"): out}

    def _onehot(self, x, p):
        """(one-hot of x, p) broadcast to ``batch + (k,)``; labels outside 0..k-1 are all 0."""
        x = np.asarray(x, float)
        p = np.asarray(p, float)
        k = p.shape[-1]
        batch = np.broadcast_shapes(x.shape, p.shape[:-1])
        onehot = np.asarray(x)[..., None] == np.arange(k)
        return (np.broadcast_to(onehot, batch + (k,)),
                np.broadcast_to(p, batch + (k,)))

    def mle(self, x, weights=None, fixed=None, k=None):
        if fixed:
            raise ParameterError("Categorical: fixing class probabilities is not supported")
        if k is None and x.size and float(np.max(x)) >= _MAX_CLASSES:
            # labels such as 1e300 would ask bincount for 1e300 cells (a raw ValueError)
            i = int(np.argmax(x >= _MAX_CLASSES))
            raise SupportError(
                f"Categorical: x must hold class labels 0, 1, ..., k-1; found {x[i]:g} at "
                f"index {i}, which would mean more than {_MAX_CLASSES} classes. Recode the "
                "labels as 0..k-1 (e.g. np.unique(x, return_inverse=True)) or pass k=")
        xi = x.astype(np.intp)
        k = int(xi.max()) + 1 if k is None else int(k)
        if np.any(xi >= k):
            raise SupportError(f"Categorical: label {int(xi.max())} is outside 0..{k - 1}")
        w = np.ones_like(x) if weights is None else weights
        counts = np.bincount(xi, weights=w, minlength=k)
        return {"p": counts / counts.sum()}

    def mle_covariance(self, params, nobs):
        """Covariance of p̂ = counts / n: (diag(p) − p pᵀ) / n (multinomial)."""
        p = np.asarray(params["p"], float)
        return (np.diag(p) - np.outer(p, p)) / nobs

    def _symbolic(self):
        """One-hot form over k classes: log P = Σ_c y_c log p_c, with y the one-hot x."""
        import sympy as sp

        k = sp.Symbol("k", integer=True, positive=True)
        c = sp.Symbol("c", integer=True, positive=True)
        y = sp.IndexedBase("y")
        p = sp.IndexedBase("p", positive=True)
        expr = sp.Product(p[c] ** y[c], (c, 1, k))
        log_expr = sp.Sum(y[c] * sp.log(p[c]), (c, 1, k))
        return SymbolicDensity(expr, y, {"p": p, "k": k, "c": c}, log_expr)


Categorical = CategoricalFamily()


@register_kl(CategoricalFamily, CategoricalFamily)
def _kl_categorical_categorical(p, q):
    r"""KL as a sum of terms that are each ≥ 0,

    .. math::

        D(p\,\|\,q) = \sum_j \Bigl(p_j \log\frac{p_j}{q_j} - p_j + q_j\Bigr)
                     = \sum_j p_j\,\bigl(r_j - \log(1 + r_j)\bigr),
        \qquad r_j = \frac{q_j - p_j}{p_j},

    (the :math:`-p_j + q_j` sum to 0 for two probability vectors), so rounding can never
    make it negative, as :math:`\sum_j p_j \log(p_j/q_j)` could when p and q sum to 1 only
    up to rounding (p = (1, 0, 1e-38), q = (1, 0, 2e-17) gave −6e-37). ``log1p`` where
    :math:`q_j` is near :math:`p_j`, the logarithm of the ratio where
    :math:`q_j < p_j/2`; a class with :math:`p_j = 0` adds :math:`q_j`; +inf where
    :math:`q_j = 0 < p_j`."""
    a, b = np.asarray(p["p"], float), np.asarray(q["p"], float)
    if a.shape[-1] != b.shape[-1]:
        raise ParameterError(
            f"Categorical KL: p has {a.shape[-1]} classes but q has {b.shape[-1]}"
        )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        safe = np.where(a > 0, a, 1.0)
        r = (b - a) / safe
        near = safe * (r - np.log1p(np.maximum(r, -0.5)))
        far = xlogy(safe, safe) - xlogy(safe, b) - safe + b
        terms = np.where(a > 0, np.where(b > 0, np.where(r >= -0.5, near, far), np.inf), b)
    return np.sum(np.maximum(terms, 0.0), axis=-1)
