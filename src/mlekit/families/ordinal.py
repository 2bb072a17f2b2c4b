r"""Ordinal family: ordered classes ``0 … K-1`` cut out of a latent continuous scale.

.. math::

    P(Y \le j) = F(\theta_{j+1}),\qquad
    P(Y = j;\,\theta) = F(\theta_{j+1}) - F(\theta_j),
    \qquad -\infty = \theta_0 < \theta_1 < \dots < \theta_{K-1} < \theta_K = \infty ,

with :math:`F` the logistic distribution function (the logit link; probit and
complementary log-log in a regression). In a regression the latent scale moves with
the covariates, the **cumulative link model** of ``MASS::polr`` and ``ordinal::clm``:

.. math::

    P(Y_i \le j \mid x_i) = F(\theta_{j+1} - x_i^\top\beta) .

There is no separate intercept: it would shift every threshold by the same amount, so
the thresholds carry it (a formula ``y ~ x1 + x2`` puts its intercept there). Their
coordinates are the thresholds themselves, ``theta_1 … theta_{K-1}``, started ordered
(at :math:`F^{-1}` of the cumulative class shares); a step that would put two out of
order makes some observed class's probability :math:`\le 0`, an infinite NLL that the
line search never accepts, so every iterate, and the estimate, is ordered.

The row NLL is :math:`-\log\bigl(F(u) - F(l)\bigr)` with :math:`u = \theta_{y+1} -
\eta`, :math:`l = \theta_y - \eta`, computed in the tail that keeps its digits
(:math:`\log F(u) + \log(1 - e^{\log F(l) - \log F(u)})`, or the same in :math:`\log S`
above the median); its derivatives use :math:`r = f/p` from log densities, so a row
far in a tail neither overflows nor loses its gradient.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import expit, log_expit, log_ndtr, logit, ndtr, ndtri

from ..domains import Categories, Counts, Ordered
from ..errors import NoMaximumError, ParameterError
from ._rowmodel import RowModel, Slot
from .base import Family, LocationShift, Parameter

_HALF_LOG_2PI = 0.5 * float(np.log(2.0 * np.pi))
#: the most classes a univariate fit infers from its labels (K = the largest label + 1)
_MAX_CLASSES = 10_000
#: existence check: rows of each class in the subsample LP that may prove the data clean
_LP_SCREEN_PER_CLASS = 1000


# ---------------------------------------------------------------- the latent distributions
def _pieces(link: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(log F, log S, log f, f'/f)`` of the latent distribution of ``link`` at ``x``."""
    with np.errstate(all="ignore"):
        if link == "logit":
            lf, ls = log_expit(x), log_expit(-x)
            return lf, ls, lf + ls, 1.0 - 2.0 * expit(x)
        if link == "probit":
            return log_ndtr(x), log_ndtr(-x), -0.5 * x * x - _HALF_LOG_2PI, -x
        # cloglog: F = 1 - exp(-e^x), log F = log(1 - e^{-e^x}) by the log1mexp rule
        # (log(-expm1(-a)) for a <= log 2, log1p(-exp(-a)) above: no digit lost near F = 1);
        # far below (x < -30) x - e^x/2 + O(e^{2x}), finite where e^x underflows (x < -745)
        ex = np.exp(x)
        far, high = x < -30.0, ex > np.log(2.0)
        a = np.where(far, 1.0, ex)
        log_f = np.where(far, x - 0.5 * ex,
                         np.where(high, np.log1p(-np.exp(-a)), np.log(-np.expm1(-a))))
        return log_f, -ex, x - ex, 1.0 - ex


def _quantile(link: str, q: np.ndarray) -> np.ndarray:
    if link == "logit":
        return logit(q)
    if link == "probit":
        return ndtri(q)
    return np.log(-np.log1p(-q))


def _cdf(link: str, x: np.ndarray) -> np.ndarray:
    if link == "logit":
        return expit(x)
    if link == "probit":
        return ndtr(x)
    return -np.expm1(-np.exp(x))


def _log_interval(link: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """log(F(hi) − F(lo)) for lo < hi (±inf allowed), in the tail that keeps the digits;
    -inf where hi <= lo."""
    lf_hi, _, _, _ = _pieces(link, hi)
    lf_lo, ls_lo, _, _ = _pieces(link, lo)
    _, ls_hi, _, _ = _pieces(link, hi)
    with np.errstate(all="ignore"):
        # (a log CDF or survival of -inf is a probability below the smallest double, for
        # cloglog's doubly exponential upper tail already at t > 6.6: the band is then -inf)
        lower = np.where(np.isneginf(lf_hi), -np.inf,
                         lf_hi + np.log(-np.expm1(lf_lo - lf_hi)))
        upper = np.where(np.isneginf(ls_lo), -np.inf,
                         ls_lo + np.log(-np.expm1(ls_hi - ls_lo)))
        out = np.where(lo + hi > 0, upper, lower)
        out = np.where(np.isneginf(lo), lf_hi, out)
        out = np.where(np.isposinf(hi), ls_lo, out)
        return np.where(hi > lo, out, -np.inf)


# ---------------------------------------------------------------- fast path: the row model
@dataclass
class OrdinalModel(RowModel):
    r"""The cumulative link model: slot 0 is :math:`\eta = x^\top\beta` (no intercept),
    slots ``1 … K-1`` the thresholds :math:`\theta_j` (one coefficient each).

    For a row of class :math:`c` with :math:`u = \theta_{c+1} - \eta`,
    :math:`l = \theta_c - \eta`, :math:`p = F(u) - F(l)`, :math:`r_u = f(u)/p`,
    :math:`r_l = f(l)/p`, :math:`s = f'/f`:

    .. math::

        \frac{\partial p/p}{\partial(\eta, \theta_c, \theta_{c+1})}
            = (r_l - r_u,\ -r_l,\ r_u), \qquad
        \nabla^2 \mathrm{NLL} = -\frac{\nabla^2 p}{p}
            + \frac{\nabla p}{p}\frac{\nabla p}{p}^{\!\top},

    with :math:`\nabla^2 p/p` from :math:`r_u s_u` and :math:`r_l s_l` (the two
    thresholds do not interact).
    """

    n_classes: int = 3
    allowed_links: ClassVar[tuple[str, ...]] = ("logit", "probit", "cloglog")
    default_link: ClassVar[str | None] = "logit"

    @property
    def slots(self) -> list[Slot]:
        return [Slot("eta", "X")] + [Slot(f"theta_{j}", "1", f"theta_{j}", "identity")
                                     for j in range(1, self.n_classes)]

    @property
    def mean_slots(self) -> list[Slot]:
        return self.slots[:1]

    #: (the thresholds are the model, not nuisances that can be held fixed)
    nuisance_names: ClassVar[tuple[str, ...]] = ()
    # (any backend: the Dask one starts from every block's class counts and decides the
    # existence of the MLE by a certificate over all blocks, ``mlekit.distributed._ordinal``)

    def nuisance_values(self, eta: np.ndarray) -> dict[str, np.ndarray]:
        return {f"theta_{j}": eta[:, j] for j in range(1, self.n_classes)}

    def check_y(self, y, aux):
        return y

    def init_eta(self, y, w, aux):
        counts = np.bincount(y.astype(np.intp), weights=w, minlength=self.n_classes)
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            raise NoMaximumError(
                f"ordinal regression: class {int(empty[0])} has no observation, so its "
                "thresholds run together (the MLE does not exist); drop the unused level")
        cum = np.cumsum(counts)[:-1] / counts.sum()
        return np.concatenate([[0.0], _quantile(self.link.name, cum)])

    def _bounds(self, y: np.ndarray, eta: np.ndarray):
        n, k = eta.shape[0], self.n_classes
        c = y.astype(np.intp)
        th = np.empty((n, k + 1))
        th[:, 0], th[:, k] = -np.inf, np.inf
        th[:, 1:k] = eta[:, 1:k]
        rows = np.arange(n)
        return c, th[rows, c + 1] - eta[:, 0], th[rows, c] - eta[:, 0]

    def rows(self, y, eta, aux, order=2):
        link = self.link.name
        c, u, lo = self._bounds(y, eta)
        logp = _log_interval(link, lo, u)
        nll = -logp
        if order == 0:
            return nll, None, None
        n, m = eta.shape[0], self.n_classes
        ok = np.isfinite(logp)
        _, _, lfu, su = _pieces(link, u)
        _, _, lfl, sl = _pieces(link, lo)
        with np.errstate(all="ignore"):
            ru = np.where(np.isposinf(u) | ~ok, 0.0, np.exp(lfu - logp))
            rl = np.where(np.isneginf(lo) | ~ok, 0.0, np.exp(lfl - logp))
            su = np.where(ru > 0, su, 0.0)
            sl = np.where(rl > 0, sl, 0.0)
        rows = np.arange(n)
        up = np.minimum(c + 1, m - 1)   # slot of θ_{c+1} (unused for the top class)
        dn = np.maximum(c, 1)           # slot of θ_c (unused for class 0)
        has_up, has_dn = c + 1 <= m - 1, c >= 1
        dp = np.zeros((n, m))           # ∇p / p
        dp[:, 0] = rl - ru
        dp[rows[has_up], up[has_up]] = ru[has_up]
        dp[rows[has_dn], dn[has_dn]] = -rl[has_dn]
        g = -dp
        if order == 1:
            return nll, g, None
        h = dp[:, :, None] * dp[:, None, :]
        a, b = ru * su, rl * sl         # f'(u)/p, f'(l)/p
        h[:, 0, 0] -= a - b
        for mask, slot, val in ((has_up, up, a), (has_dn, dn, -b)):
            r, s = rows[mask], slot[mask]
            h[r, s, s] -= val[mask]
            h[r, 0, s] += val[mask]
            h[r, s, 0] += val[mask]
        return nll, g, h

    def mean(self, eta):
        """The class probabilities, (n, K)."""
        n, k = eta.shape[0], self.n_classes
        th = np.column_stack([np.full(n, -np.inf), eta[:, 1:k], np.full(n, np.inf)])
        cdf = _cdf(self.link.name, th - eta[:, :1])
        return np.diff(cdf, axis=1)

    def distribution_params(self, eta, aux):
        r"""Each row's distribution as an :class:`OrdinalFamily` member: its cumulative
        probabilities :math:`F(\theta_j - \eta)` on the logistic scale the family uses,
        ``logit F = log F - log S`` (exact for every link, no digits lost in a tail)."""
        z = eta[:, 1:self.n_classes] - eta[:, :1]
        lf, ls, _, _ = _pieces(self.link.name, z)
        return {"theta": lf - ls}

    @staticmethod
    def _check_no_intercept(X: np.ndarray, names: list[str]) -> None:
        """The thresholds carry the intercept: a column (or combination) that is constant
        on every row is not identified beside them (a SingularMatrixError naming it)."""
        if X.shape[1] == 0 or X.shape[0] == 0:
            return
        ones = np.ones(X.shape[0])
        coef, *_ = np.linalg.lstsq(X, ones, rcond=None)
        if np.linalg.norm(X @ coef - ones) > 1e-8 * np.sqrt(X.shape[0]):
            return
        raise OrdinalModel.constant_error(coef, np.linalg.norm(X, axis=0), names)

    @staticmethod
    def constant_error(coef: np.ndarray, col_norms: np.ndarray, names: list[str]) -> Exception:
        """The SingularMatrixError of :meth:`_check_no_intercept` for ``X @ coef = 1`` on
        every row (``col_norms``: the columns' 2-norms; the Dask backend gives them from
        its moments): names the columns that carry the constant."""
        from ..errors import SingularMatrixError

        scale = np.abs(coef) * np.maximum(col_norms, 1e-300)
        cols = [names[j] for j in np.flatnonzero(scale > 1e-6 * scale.max())]
        return SingularMatrixError(
            f"ordinal regression: {'column ' if len(cols) == 1 else 'columns '}"
            f"{', '.join(map(repr, cols))} {'is' if len(cols) == 1 else 'combine to'} a "
            "constant on every row; the thresholds carry the intercept, so "
            f"{'its coefficient is' if len(cols) == 1 else 'their coefficients are'} not "
            "identified: drop it (a formula's intercept goes into the thresholds)")

    def lp_rows(self, Z: np.ndarray, c: np.ndarray) -> np.ndarray:
        r"""The rows :math:`a_r` of the existence LP :math:`A z \le 0` (see
        :meth:`check_existence`) for design rows ``Z`` of classes ``c``, over
        :math:`z = (d_\beta, d_{\theta_1} … d_{\theta_{K-1}})`: first one row
        :math:`(z_i, -e_{c+1})` per row below the top class, then one
        :math:`(-z_i, e_c)` per row above class 0."""
        p, k = Z.shape[1], self.n_classes
        rows_up = c + 1 <= k - 1
        rows_dn = c >= 1
        A_up = np.zeros((int(rows_up.sum()), p + k - 1))
        A_up[:, :p] = Z[rows_up]                                # x'd - dθ_{c+1} <= 0
        A_up[np.arange(A_up.shape[0]), p + c[rows_up]] = -1.0
        A_dn = np.zeros((int(rows_dn.sum()), p + k - 1))
        A_dn[:, :p] = -Z[rows_dn]                               # dθ_c - x'd <= 0
        A_dn[np.arange(A_dn.shape[0]), p + c[rows_dn] - 1] = 1.0
        return np.vstack([A_up, A_dn])

    def lp_multipliers(self, c: np.ndarray, w: np.ndarray, eta: np.ndarray) -> np.ndarray:
        r"""Multipliers :math:`\lambda_r \ge 0` of the rows of :meth:`lp_rows` (same
        order) from the fit at ``eta``: :math:`w_i r_u` for a row's upper bound and
        :math:`w_i r_l` for its lower (:math:`r = f/p`, as in :meth:`rows`), so that
        :math:`A^\top\lambda` is the gradient of :math:`\sum_i w_i\,\mathrm{NLL}_i`
        in :math:`(d_\beta, d_\theta)` (with ``Z``'s columns): zero at the MLE, which
        makes :math:`\lambda > 0` a certificate (Stiemke) that no direction separates."""
        link, k = self.link.name, self.n_classes
        _, u, lo = self._bounds(c.astype(float), eta)
        logp = _log_interval(link, lo, u)
        _, _, lfu, _ = _pieces(link, u)
        _, _, lfl, _ = _pieces(link, lo)
        up, dn = c + 1 <= k - 1, c >= 1
        with np.errstate(all="ignore"):  # (a row whose p underflows: no multiplier, 0)
            ru = np.exp(lfu - logp)
            rl = np.exp(lfl - logp)
            lam = np.concatenate([w[up] * ru[up], w[dn] * rl[dn]])
        return np.where(np.isfinite(lam), lam, 0.0)

    def _screen_clean(self, Z: np.ndarray, c: np.ndarray) -> bool:
        r"""True when a subsample of rows proves that no direction separates (then the
        LP over every row is not needed): up to ``_LP_SCREEN_PER_CLASS`` rows of each
        class, evenly spaced. Its rows :math:`A_S` (:meth:`lp_rows`) must have full
        column rank, and the LP "some :math:`z` with :math:`A_S z \le 0` and total slack
        :math:`-\mathbf 1^\top A_S z = 1`" (z free: a cone, any positive slack scales to
        1) must be infeasible. Then every :math:`z` with :math:`A_S z \le 0` has
        :math:`A_S z = 0`, so :math:`z = 0`; a direction separating all the rows
        satisfies the subsample's rows too, so none exists. Otherwise (False) the full
        LP decides, as before."""
        from scipy.optimize import linprog

        pick = []
        for j in range(self.n_classes):
            rows = np.flatnonzero(c == j)
            if rows.size > _LP_SCREEN_PER_CLASS:
                rows = rows[np.linspace(0, rows.size - 1, _LP_SCREEN_PER_CLASS).astype(np.intp)]
            pick.append(rows)
        sub = np.sort(np.concatenate(pick))
        A = self.lp_rows(Z[sub], c[sub])
        if np.linalg.matrix_rank(A) < A.shape[1]:
            return False
        res = linprog(np.zeros(A.shape[1]), A_ub=A, b_ub=np.zeros(A.shape[0]),
                      A_eq=-A.sum(axis=0)[None, :], b_eq=[1.0],
                      bounds=[(None, None)] * A.shape[1], method="highs")
        return res.status == 2  # infeasible: no direction has a positive slack

    def check_existence(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                        names: list[str]) -> None:
        r"""Raise NoMaximumError if the likelihood has no maximum (exact: a linear program).

        A direction :math:`(d_\beta, d_\theta)` raises no row's likelihood-bounding
        arguments wrongly when :math:`d_{\theta_{c+1}} - x_i^\top d_\beta \ge 0` and
        :math:`d_{\theta_c} - x_i^\top d_\beta \le 0` for every row of class :math:`c`
        (its upper argument grows, its lower shrinks); one such direction with a strict
        inequality somewhere makes the likelihood increase for ever (complete or
        quasi-complete separation of the classes by :math:`x^\top\beta`).
        """
        from scipy.optimize import linprog

        live = np.ones(y.shape, bool) if w is None else np.asarray(w) > 0
        Xl, c = np.asarray(X, float)[live], y[live].astype(np.intp)
        self._check_no_intercept(Xl, names)
        p = Xl.shape[1]
        k = self.n_classes
        scale = np.maximum(np.max(np.abs(Xl), axis=0, initial=0.0), 1e-300)
        Z = Xl / scale
        if c.size > 8 * _LP_SCREEN_PER_CLASS and self._screen_clean(Z, c):
            return
        A = self.lp_rows(Z, c)
        # normalisation: the total slack Σ (dθ_{c+1} - x'd) - Σ (dθ_c - x'd) = 1
        total = -A.sum(axis=0)
        res = linprog(np.zeros(p + k - 1), A_ub=A, b_ub=np.zeros(A.shape[0]),
                      A_eq=total[None, :], b_eq=[1.0], bounds=[(-1, 1)] * (p + k - 1),
                      method="highs")
        if res.status != 0:
            return
        d = res.x[:p] / scale
        if not np.any(np.abs(res.x[:p]) > 1e-9):
            return
        j = int(np.argmax(np.abs(res.x[:p])))
        cols = [names[i] for i in np.flatnonzero(np.abs(res.x[:p]) > 1e-6)]
        raise NoMaximumError(
            f"ordinal regression: the classes are separated by a combination of columns led "
            f"by {names[j]!r} (involving {', '.join(map(repr, cols))}): along it every row's "
            "probability of its own class rises towards 1, so the likelihood has no maximum "
            f"(the coefficients run off, {names[j]!r} to {'+' if d[j] > 0 else '-'}infinity); "
            "merge classes, drop the column, or add a prior (alpha_l2 > 0)")


# ---------------------------------------------------------------- the family
class OrdinalFamily(Family):
    r"""Ordinal(theta): ordered classes 0 … K−1 with cut points ``theta`` (increasing,
    K−1 of them) on the logistic scale,

    .. math::

        P(Y = j;\,\theta) = \frac{1}{1 + e^{-\theta_{j+1}}} - \frac{1}{1 + e^{-\theta_j}},
        \qquad \theta_0 = -\infty,\ \theta_K = \infty .

    Its regression is the cumulative link model of ``MASS::polr`` / ``ordinal::clm``
    (``Regression(family="ordinal", link="logit" | "probit" | "cloglog")``).

    Examples
    --------
    >>> import numpy as np, mlekit as mk
    >>> d = mk.Ordinal(theta=[-1.0, 0.5, 2.0])          # four classes
    >>> np.round(d.pmf([0, 1, 2, 3]), 4)
    array([0.2689, 0.3535, 0.2583, 0.1192])
    >>> res = mk.Ordinal.fit([0, 0, 1, 2, 2, 2, 3, 1])
    >>> np.round(res.params["theta"], 4)                 # logits of 2/8, 4/8, 7/8
    array([-1.0986,  0.    ,  1.9459])
    """

    name = "ordinal"
    title = "Ordinal"
    row_model = OrdinalModel
    parameters = (Parameter("theta", Ordered, r"\theta", event_ndim=1),)
    support = Categories(3)
    discrete = True
    classifier = "ordinal"
    location_intercept = False
    has_symbolic_density = False
    example_params = {"theta": [-1.0, 0.5, 2.0]}

    def support_of(self, theta=None, **_):
        if theta is None:  # (a fit: K comes from the data, the classes 0, 1, 2, ...)
            return Counts
        return Categories(int(np.shape(theta)[-1] + 1))

    def _cum(self, theta: np.ndarray) -> np.ndarray:
        th = np.asarray(theta, float)
        pad = np.broadcast_to(np.inf, (*th.shape[:-1], 1))
        return np.concatenate([-pad, th, pad], axis=-1)

    def logpdf(self, x, theta):
        x = np.asarray(x, float)
        cut = self._cum(theta)
        k = cut.shape[-1] - 1
        good = (x >= 0) & (x <= k - 1) & (x == np.round(x))
        xi = np.where(good, x, 0).astype(np.intp)
        hi = np.take_along_axis(np.broadcast_to(cut, (*np.broadcast_shapes(
            xi.shape, cut.shape[:-1]), k + 1)), (xi + 1)[..., None], axis=-1)[..., 0]
        lo = np.take_along_axis(np.broadcast_to(cut, (*np.broadcast_shapes(
            xi.shape, cut.shape[:-1]), k + 1)), xi[..., None], axis=-1)[..., 0]
        return np.where(good, _log_interval("logit", lo, hi), -np.inf)

    def _ends(self, x, theta):
        """``(good, c, lo, hi, k)``: the rows that are class labels, their class c, the cut
        points below and above it (θ_c, θ_{c+1}, ±inf at the ends), broadcast against the
        batch, and the number of cut points k = K − 1."""
        x = np.asarray(x, float)
        cut = self._cum(theta)
        k = cut.shape[-1] - 2
        good = (x >= 0) & (x <= k) & (x == np.round(x))
        c = np.where(good, x, 0).astype(np.intp)
        full = np.broadcast_to(cut, (*np.broadcast_shapes(c.shape, cut.shape[:-1]), k + 2))
        c = np.broadcast_to(c, full.shape[:-1])
        lo = np.take_along_axis(full, c[..., None], axis=-1)[..., 0]
        hi = np.take_along_axis(full, (c + 1)[..., None], axis=-1)[..., 0]
        return np.broadcast_to(good, c.shape), c, lo, hi, k

    @staticmethod
    def _end_slopes(lo, hi):
        r"""``(g_lo, g_hi)``: :math:`\partial\log P/\partial\theta_c` and
        :math:`\partial\log P/\partial\theta_{c+1}` for
        :math:`P = \sigma(b) - \sigma(a)`, :math:`a = \theta_c < b = \theta_{c+1}`, from

        .. math::

            P = \sigma(b)\,\sigma(-a)\,\bigl(1 - e^{a-b}\bigr),\qquad
            \frac{\partial\log P}{\partial b} = \frac{\sigma(-b)}{\sigma(-a)\,(1 - e^{a-b})},
            \qquad
            \frac{\partial\log P}{\partial a} = -\frac{\sigma(a)}{\sigma(b)\,(1 - e^{a-b})},

        with :math:`1 - e^{a-b}` as ``-expm1`` and each ratio of sigmoids as the exponential
        of a difference of their logs: no difference of two rounded CDFs, in either tail,
        and exact at :math:`a = -\infty` (:math:`\sigma(-b)`) and :math:`b = \infty`
        (:math:`-\sigma(a)`)."""
        with np.errstate(over="ignore", invalid="ignore"):
            gap = -np.expm1(lo - hi)
            # ratios of sigmoids as differences of their logs: σ(−b)/σ(−a) stays exact
            # when both underflow (a, b > 745)
            return (-np.exp(log_expit(lo) - log_expit(hi)) / gap,
                    np.exp(log_expit(-hi) - log_expit(-lo)) / gap)

    def score(self, x, theta):
        r"""∂ log P(x)/∂θ_j, shape ``batch + (K−1,)``: only the two cut points around the
        class, :math:`\theta_x` and :math:`\theta_{x+1}`, have a non-zero entry
        (:meth:`_end_slopes`); rows that are not class labels score 0."""
        good, c, lo, hi, k = self._ends(x, theta)
        g_lo, g_hi = self._end_slopes(lo, hi)
        out = np.zeros((*c.shape, k))
        rows = np.nonzero(good)
        cc = c[rows]
        up, down = cc < k, cc > 0
        out[tuple(r[up] for r in rows) + (cc[up],)] = g_hi[rows][up]
        out[tuple(r[down] for r in rows) + (cc[down] - 1,)] = g_lo[rows][down]
        return {"theta": out}

    def hessian(self, x, theta):
        r"""∂² log P(x)/∂θ_j∂θ_l, shape ``batch + (K−1, K−1)``. With
        :math:`g_a, g_b` the two slopes of :meth:`_end_slopes` and
        :math:`\sigma'' / \sigma' = 1 - 2\sigma`:

        .. math::

            \partial_b^2 = g_b\,(1 - 2\sigma(b)) - g_b^2,\quad
            \partial_a^2 = g_a\,(1 - 2\sigma(a)) - g_a^2,\quad
            \partial_a\partial_b = -g_a g_b ."""
        good, c, lo, hi, k = self._ends(x, theta)
        g_lo, g_hi = self._end_slopes(lo, hi)
        with np.errstate(invalid="ignore"):
            h_hi = g_hi * (1.0 - 2.0 * expit(hi)) - g_hi**2
            h_lo = g_lo * (1.0 - 2.0 * expit(lo)) - g_lo**2
        out = np.zeros((*c.shape, k, k))
        rows = np.nonzero(good)
        cc = c[rows]
        up, down = cc < k, cc > 0
        both = up & down
        ru, rd, rb = (tuple(r[m] for r in rows) for m in (up, down, both))
        out[ru + (cc[up], cc[up])] = h_hi[rows][up]
        out[rd + (cc[down] - 1, cc[down] - 1)] = h_lo[rows][down]
        cross = -(g_lo * g_hi)[rows][both]
        out[rb + (cc[both] - 1, cc[both])] = cross
        out[rb + (cc[both], cc[both] - 1)] = cross
        return {("theta", "theta"): out}

    def cdf(self, x, theta):
        x = np.floor(np.asarray(x, float))
        cut = self._cum(theta)
        k = cut.shape[-1] - 1
        xi = np.clip(x, -1, k - 1).astype(np.intp)
        full = np.broadcast_to(cut, (*np.broadcast_shapes(xi.shape, cut.shape[:-1]), k + 1))
        return expit(np.take_along_axis(full, (xi + 1)[..., None], axis=-1)[..., 0])

    def ppf(self, q, theta):
        """min{k: P(Y ≤ k) ≥ q}: the number of cumulative probabilities σ(θ_j) below q."""
        q = np.asarray(q, float)
        cum = expit(np.asarray(theta, float))
        return np.sum(cum < q[..., None], axis=-1).astype(float)

    def _probs(self, theta):
        return np.diff(expit(self._cum(theta)), axis=-1)

    def sample(self, size, rng, theta):
        p = self._probs(theta)
        u = rng.random((*size, 1)) if p.ndim == 1 else rng.random((*size, *p.shape[:-1], 1))
        return np.sum(u > np.cumsum(p, axis=-1)[..., :-1], axis=-1).astype(float)

    def mean(self, theta):
        p = self._probs(theta)
        return np.sum(p * np.arange(p.shape[-1]), axis=-1)

    def var(self, theta):
        p = self._probs(theta)
        j = np.arange(p.shape[-1])
        m = np.sum(p * j, axis=-1)
        return np.sum(p * j**2, axis=-1) - m**2

    def entropy(self, theta):
        p = self._probs(theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.sum(np.where(p > 0, p * np.log(p), 0.0), axis=-1)

    def mle(self, x, weights=None, fixed=None, k=None):
        r"""The logits of the cumulative class shares, :math:`\hat\theta_j =
        \operatorname{logit}\hat P(Y < j)`; every class 0 … K−1 must occur."""
        if fixed:
            raise ParameterError("Ordinal: fixing cut points is not supported")
        x = np.asarray(x, float).ravel()
        if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x != np.round(x)) \
                or np.any(x < 0):
            return None
        w = np.ones_like(x) if weights is None else np.asarray(weights, float).ravel()
        if x.max() >= _MAX_CLASSES:
            from ..errors import SupportError

            i = int(np.flatnonzero(x >= _MAX_CLASSES)[0])
            raise SupportError(f"Ordinal: x[{i}] = {x[i]:g} at index {i} is not a class label "
                               f"0 … K-1 with K <= {_MAX_CLASSES} (relabel the classes)")
        kk = int(x.max()) + 1 if k is None else int(k)
        counts = np.bincount(x.astype(np.intp), weights=w, minlength=kk)
        if kk < 2 or np.any(counts == 0):
            empty = np.flatnonzero(counts == 0)
            raise NoMaximumError(
                "Ordinal: " + (f"class {int(empty[0])} has no observation" if empty.size
                               else "only one class is observed")
                + " (classes are 0 … K-1 with K = the largest label + 1), so a cut point "
                "runs off to infinity and the MLE does not exist; relabel the classes "
                "that occur as 0, 1, …")
        cum = np.cumsum(counts)[:-1] / counts.sum()
        return {"theta": logit(cum)}

    def mle_covariance(self, params, nobs):
        r"""Delta method on the multinomial cumulative shares:
        :math:`\operatorname{Cov}(\hat\pi_i, \hat\pi_j) = \pi_{\min}(1 - \pi_{\max})/n`,
        :math:`\partial\theta/\partial\pi = 1/(\pi(1-\pi))`."""
        th = np.asarray(params["theta"], float)
        if th.ndim != 1:
            return None
        pi = expit(th)
        lo, hi = np.minimum.outer(pi, pi), np.maximum.outer(pi, pi)
        cov = lo * (1.0 - hi) / float(nobs)
        d = 1.0 / (pi * (1.0 - pi))
        return cov * d[:, None] * d[None, :]

    #: the name :func:`mlekit.derive.derive` gives the derived NLL
    derivation_loss_name: ClassVar[str] = "cumulative-logit NLL"
    #: ``derive("ordinal", link=...)``: the cumulative link model moves every cut point by
    #: the linear predictor, the link chooses F (:meth:`derivation_density`)
    derivation_shift: ClassVar[LocationShift | None] = LocationShift(
        parameter="theta", links=OrdinalModel.allowed_links,
        linked="cumulative probabilities", loss_name="cumulative-{link} NLL")

    def _symbolic(self):
        from ..errors import NotImplementedForFamily

        raise NotImplementedForFamily("Ordinal has no closed symbolic density (a difference "
                                      "of K-1 cut points' CDFs); its NLL is the numeric sum "
                                      "(derive works from Ordinal.derivation_density, K fixed)")

    def derivation_density(self, k: int | None = None, link: str | None = None,
                           shift: Any = None):
        r"""The pmf for :func:`mlekit.derive.derive`, written out for ``k`` classes
        (default: the K = 4 of ``example_params``, cut points ``theta[1] … theta[3]``):

        .. math::

            P(Y = j) = \sigma(\theta_{j+1}) - \sigma(\theta_j), \quad
            \sigma(t) = \frac{1}{1 + e^{-t}},\ \theta_0 = -\infty,\ \theta_K = \infty,

        as cases in y (``Piecewise``), ``theta`` an ``IndexedBase`` used entry by entry as
        a mixture's weights are. Its negative log is the cumulative-logit NLL
        :math:`-\log(\sigma(\theta_{y+1}) - \sigma(\theta_y))`. Not
        :meth:`sympy_density` (no closed density for every K: torch and the symbolic checks
        keep refusing the Ordinal by name).

        With ``link`` (``"logit"``, ``"probit"``, ``"cloglog"``) it is the pmf of the
        cumulative link model with F the inverse link, and with ``shift`` (a SymPy symbol,
        the linear predictor :math:`\eta`) every cut point moved by it
        (:attr:`derivation_shift`):

        .. math::

            P(Y = j \mid \eta) = F(\theta_{j+1} - \eta) - F(\theta_j - \eta),

        F printed as :math:`\sigma` (logit), :math:`\Phi` (probit) or :math:`F`
        (cloglog, :math:`F(t) = 1 - e^{-e^t}`), :math:`F(-\infty) = 0`,
        :math:`F(\infty) = 1`. Each case is one SymPy function of its two arguments that
        prints as that difference and evaluates, and takes its log, with this file's
        ``_log_interval`` (the regression's row NLL): :math:`\log(F(u) - F(l))` in the
        tail that keeps the digits (upper tail as :math:`\log(S(l) - S(u))`), so neither
        tail loses digits nor underflows (a linear predictor of ±1000 gives a finite NLL);
        only two cut points within rounding of each other lose relative digits, as the
        difference itself does."""
        kk = len(self.example_params["theta"]) + 1 if k is None else int(k)
        if kk < 2:
            raise ParameterError(f"Ordinal: k must be at least 2 classes; got {k!r}")
        if link is None and shift is not None:
            link = self.derivation_shift.links[0]
        if link is not None and link not in self.derivation_shift.links:
            raise ParameterError(f"Ordinal: the cumulative link model takes the link "
                                 f"{', '.join(map(repr, self.derivation_shift.links))}; "
                                 f"got {link!r}")
        return _ordinal_derivation_density(kk, link, shift)


@functools.cache
def _ordinal_derivation_density(k: int, link: str | None = None, shift: Any = None):
    """The :class:`SymbolicDensity` of :meth:`OrdinalFamily.derivation_density` for k classes
    (``link=None``: the family's own logistic pmf; else the cumulative link model's)."""
    import sympy as sp

    from .base import SymbolicDensity

    y = sp.Symbol("y", integer=True, nonnegative=True)
    theta = sp.IndexedBase("theta", real=True)
    if link is not None:
        from sympy.utilities.lambdify import implemented_function

        F = sp.Function({"logit": "sigma", "probit": "Phi"}.get(link, "F"))  # typesetting

        def log_band(lo, hi):  # log(F(hi) - F(lo)), in the tail that keeps the digits
            return _log_interval(link, np.asarray(lo, float), np.asarray(hi, float))

        def shown(e):  # F(hi) - F(lo) as a textbook writes it: F(-inf) = 0, F(inf) = 1
            lo, hi = e.args
            top = sp.Integer(1) if hi == sp.oo else F(hi)
            return top if lo == -sp.oo else sp.Add(top, -F(lo), evaluate=False)

        def tex(e, printer, exp=None):
            out = printer._print(shown(e))
            return out if exp is None else rf"\left({out}\right)^{{{exp}}}"

        # P(lo < Z <= hi) = F(hi) - F(lo) for the latent Z ~ F: one function of (lo, hi)
        band = type(f"band_{link}", (sp.Function,), {
            "nargs": 2, "__module__": __name__,
            "_imp_": staticmethod(lambda lo, hi: np.exp(log_band(lo, hi))),
            "_log_imp_": implemented_function(f"log_band_{link}", log_band),
            "_latex": tex, "_sympystr": lambda e, printer: printer._print(shown(e)),
            "_pretty": lambda e, printer: printer._print(shown(e))})

        def cut(j):  # the j-th cut point, moved by the shift (theta_0 = -inf, theta_K = inf)
            if j in (0, k):
                return -sp.oo if j == 0 else sp.oo
            return theta[j] if shift is None else theta[j] - shift

        probs = [band(cut(j), cut(j + 1)) for j in range(k)]
        conds = [sp.Eq(y, j) for j in range(k - 1)] + [sp.true]
        return SymbolicDensity(expr=sp.Piecewise(*zip(probs, conds, strict=True)), x=y,
                               params={"theta": theta},
                               log_expr=sp.Piecewise(*[(sp.log(q), c) for q, c in
                                                       zip(probs, conds, strict=True)]))

    def F(j):  # the logistic CDF at the j-th cut point (0 below θ_1's left, 1 at θ_K)
        if j == 0:
            return sp.Integer(0)
        if j == k:
            return sp.Integer(1)
        return 1 / (1 + sp.exp(-theta[j]))

    def logF(j):  # log σ(θ_j) = -log(1 + e^{-θ_j}), log(1 - σ(θ_j)) = -log(1 + e^{θ_j})
        return -sp.log(1 + sp.exp(-theta[j]))

    probs, logs = [], []
    for j in range(k):
        probs.append(F(j + 1) - F(j))
        if j == 0:
            logs.append(logF(1))
        elif j == k - 1:
            logs.append(-sp.log(1 + sp.exp(theta[k - 1])))
        else:
            logs.append(sp.log(F(j + 1) - F(j)))
    conds = [sp.Eq(y, j) for j in range(k - 1)] + [sp.true]
    sigma = sp.Function("sigma")  # typesetting only: sigma(t) = 1/(1 + e^{-t})
    shown = [sigma(theta[1])] + [sigma(theta[j + 1]) - sigma(theta[j]) for j in range(1, k - 1)]
    shown.append(1 - sigma(theta[k - 1]))
    return SymbolicDensity(expr=sp.Piecewise(*zip(probs, conds, strict=True)), x=y,
                           params={"theta": theta},
                           log_expr=sp.Piecewise(*zip(logs, conds, strict=True)),
                           display=(sp.Piecewise(*zip(shown, conds, strict=True)),))


Ordinal = OrdinalFamily()
