r"""Tests between fitted regressions: likelihood ratio, Vuong, and an AIC/BIC table.

* :func:`lr_test` — nested models (R's ``lmtest::lrtest``):

  .. math:: \mathrm{LR} = 2\,(\ell_{\text{full}} - \ell_{\text{restricted}})
            \;\sim\; \chi^2_{k_{\text{full}} - k_{\text{restricted}}}

  under the restricted model, :math:`k` counting every estimated parameter.
* :func:`vuong_test` — non-nested models (R's ``pscl::vuong``): with the per-row log
  likelihood ratios :math:`m_i = \log p_1(y_i\mid x_i) - \log p_2(y_i\mid x_i)`,

  .. math:: z = \frac{\sum_i m_i - c}{s_m \sqrt n}, \qquad
            c = 0,\; k_1 - k_2,\; \tfrac{k_1 - k_2}{2}\log n

  (raw, AIC- and BIC-corrected; :math:`s_m` the sample standard deviation of the
  :math:`m_i`), asymptotically N(0, 1) when the models are equally close to the truth;
  positive favours model 1.
* :func:`compare_models` — llf, number of parameters, AIC, BIC side by side.

The tests read only the fitted results (``llf``, the parameters' names per block, the
family, link and number of rows) except :func:`vuong_test`, which recomputes each row's
log-likelihood from the fitted estimators on their training rows.
"""

from __future__ import annotations

import hashlib
import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ..errors import DataError, NumericalWarning, ParameterError

__all__ = ["LRTestResult", "VuongTestResult", "compare_models", "data_fingerprint",
           "lr_test", "vuong_test"]


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class LRTestResult:
    r"""A likelihood-ratio test of a restricted model against a full one.

    ``statistic`` :math:`= 2(\ell_{\text{full}} - \ell_{\text{restricted}})`, ``df`` the
    difference in the numbers of estimated parameters, ``pvalue``
    :math:`= P(\chi^2_{df} > \text{statistic})`.
    """

    statistic: float
    df: int
    pvalue: float
    llf_restricted: float
    llf_full: float
    df_restricted: int
    df_full: int

    def __repr__(self) -> str:
        return (f"<LR test: chi2({self.df}) = {self.statistic:.6g}, p = {self.pvalue:.4g} "
                f"(llf {self.llf_restricted:.6g} with {self.df_restricted} parameters -> "
                f"{self.llf_full:.6g} with {self.df_full})>")

    __str__ = __repr__


@dataclass(frozen=True)
class VuongTestResult:
    r"""Vuong's test of two non-nested models (``pscl::vuong``).

    ``statistic`` is the raw z (positive favours model 1), ``pvalue`` its one-sided
    p-value in the direction the statistic points (``P(Z > z)`` for z > 0, ``P(Z < z)``
    otherwise); ``statistic_aic`` / ``statistic_bic`` subtract :math:`k_1 - k_2` and
    :math:`(k_1 - k_2)\log(n)/2` from :math:`\sum_i m_i`. ``nobs`` rows were used
    (``n_dropped`` rows with a non-finite ratio were left out, as pscl does).
    """

    statistic: float
    pvalue: float
    statistic_aic: float
    pvalue_aic: float
    statistic_bic: float
    pvalue_bic: float
    nobs: int
    k1: int
    k2: int
    n_dropped: int = 0

    @property
    def favours(self) -> str:
        """``"model 1"`` or ``"model 2"``: the side the raw statistic points to."""
        return "model 1" if self.statistic > 0 else "model 2"

    def __repr__(self) -> str:
        return (f"<Vuong test (n = {self.nobs}, k1 = {self.k1}, k2 = {self.k2}): "
                f"z = {self.statistic:.6g} (p = {self.pvalue:.4g}), "
                f"AIC-corrected {self.statistic_aic:.6g} (p = {self.pvalue_aic:.4g}), "
                f"BIC-corrected {self.statistic_bic:.6g} (p = {self.pvalue_bic:.4g}); "
                f"positive favours model 1>")

    __str__ = __repr__


# ---------------------------------------------------------------------- helpers
def data_fingerprint(y: Any, w: Any = None, aux: Mapping[str, Any] | None = None) -> str:
    """A cheap fingerprint of a fit's response, weights and per-row data (``aux``: Binomial
    trials, censoring bounds): the first 16 bytes of the SHA-256 digest of ``n``, ``y``,
    ``w`` and the numeric ``aux`` arrays (by name) as float64 — equal data give equal
    fingerprints, and any change of a value or of the rows' order changes it (one pass,
    ~1.6 GB/s: SHA-256 runs on the CPU's hash instructions, twice BLAKE2b's speed here).

    >>> from mlekit.regression._compare import data_fingerprint
    >>> data_fingerprint([0, 1, 2]) == data_fingerprint([0.0, 1.0, 2.0])
    True
    >>> data_fingerprint([0, 1, 2]) == data_fingerprint([0, 2, 1])
    False
    """
    h = hashlib.sha256()
    yv = np.ascontiguousarray(np.asarray(y, dtype=float).ravel())
    h.update(np.int64(yv.size).tobytes())
    h.update(yv.tobytes())
    if w is not None:
        h.update(b"w")
        h.update(np.ascontiguousarray(np.asarray(w, dtype=float).ravel()).tobytes())
    for key in sorted(aux or {}):
        v = np.asarray((aux or {})[key])
        if v.dtype.kind in "biuf" and v.size:
            h.update(f"aux:{key}".encode())
            h.update(np.ascontiguousarray(v, dtype=float).ravel().tobytes())
    return h.hexdigest()[:32]


def _result(m: Any, what: str) -> Any:
    """The RegressionResult of a fitted estimator (or the result itself)."""
    from ._results import RegressionResult

    if isinstance(m, RegressionResult):
        return m
    res = getattr(m, "result_", None)
    if isinstance(res, RegressionResult):
        return res
    hint = " (not fitted: call fit first)" if hasattr(m, "fit") else ""
    raise ParameterError(f"{what} must be a fitted Regression (or its result_); got "
                         f"{type(m).__name__}{hint}")


def _blocks(res: Any) -> dict[str, set[str]]:
    """The estimated parameters, per block: ``{parameter: {coefficient names}}``."""
    out: dict[str, set[str]] = {}
    for j, s in enumerate(res.model.slots):
        out[s.nuisance or s.name] = set(res._terms(j))
    return out


def _check_same_data(a: Any, b: Any, what: str) -> None:
    """DataError when two results were not fitted to the same rows: the number of rows
    and observations, the data fingerprint when the fit kept one, and — for the same
    family with the same fixed parameters — the null model's log-likelihood."""
    if a.n_rows != b.n_rows or not np.isclose(a.nobs, b.nobs, rtol=1e-12, atol=0.0):
        raise DataError(f"{what} were fitted to different data: {a.n_rows} rows "
                        f"(nobs {a.nobs:g}) vs {b.n_rows} rows (nobs {b.nobs:g}); fit both "
                        "to the same rows, response and weights")
    fa, fb = getattr(a, "data_fingerprint", None), getattr(b, "data_fingerprint", None)
    if fa is not None and fb is not None and fa != fb:
        raise DataError(f"{what} were fitted to different data: the same number of rows "
                        "but different responses or weights (their fingerprints differ); "
                        "fit both to the same y and sample_weight")
    same_null = (a.model.family == b.model.family and a.model.fixed == b.model.fixed
                 and a.llnull is not None and b.llnull is not None)
    if same_null and not np.isclose(a.llnull, b.llnull, rtol=1e-6, atol=1e-8):
        raise DataError(f"{what} were fitted to different data: their intercept-only "
                        f"(null) log-likelihoods differ ({a.llnull:.8g} vs {b.llnull:.8g}), "
                        "so the responses or weights differ; fit both to the same y and "
                        "sample_weight")


def _nesting_problem(r: Any, f: Any) -> str | None:
    """Why ``r`` is not a restriction of ``f`` (None when it is)."""
    fr, ff = r.model.family, f.model.family
    if fr != ff:
        return (f"the families differ ({fr.title} vs {ff.title}), so the models are not "
                "nested by their parameters; for non-nested models use mk.vuong_test")
    if r.model.link.name != f.model.link.name:
        return (f"the links differ ({r.model.link.name} vs {f.model.link.name}), so the "
                "models are not nested; for non-nested models use mk.vuong_test")
    for k, v in f.model.fixed.items():
        if k not in r.model.fixed or not np.isclose(float(r.model.fixed[k]), float(v)):
            return (f"the full model holds {k} fixed at {float(v):.6g} but the restricted "
                    f"one {'estimates it' if k not in r.model.fixed else 'fixes it at '}"
                    f"{'' if k not in r.model.fixed else f'{float(r.model.fixed[k]):.6g}'}; "
                    "the restricted model must fix what the full one fixes")
    br, bf = _blocks(r), _blocks(f)
    for block, terms in br.items():
        if block not in bf:
            return (f"the restricted model estimates {block!r}, which the full model "
                    f"does not (its parameters: {', '.join(bf)}); swap the arguments?")
        extra = sorted(terms - bf[block])
        if extra:
            return (f"the restricted model's {block!r} has coefficients the full model's "
                    f"has not ({', '.join(extra)}); the restricted model's coefficients "
                    f"must be a subset of the full model's ({', '.join(sorted(bf[block]))})")
    if r.df_model >= f.df_model:
        return (f"the restricted model has {r.df_model} parameters and the full one "
                f"{f.df_model}: nothing is restricted (swap the arguments?)")
    return None


def _check_unpenalised(res: Any, what: str) -> None:
    if res.penalised:
        raise ParameterError(f"{what} is a penalised (MAP) fit (alpha_l2 / alpha_l1 > 0): "
                             "its llf is not a maximised likelihood, so likelihood-based "
                             "tests do not apply; refit with alpha_l2=0 and alpha_l1=0")


# ---------------------------------------------------------------------- LR test
def lr_test(restricted: Any, full: Any) -> LRTestResult:
    r"""Likelihood-ratio test of a restricted model nested in a full one.

    .. math:: \mathrm{LR} = 2\,(\ell_{\text{full}} - \ell_{\text{restricted}})
              \;\sim\; \chi^2_{k_{\text{full}} - k_{\text{restricted}}}

    ``k`` counts every estimated parameter (coefficients and nuisances), as R's
    ``lmtest::lrtest`` does with ``logLik``'s ``df``; the ``llf`` is always the
    maximised log-likelihood (whatever the dispersion convention).

    Parameters
    ----------
    restricted, full : fitted :class:`~mlekit.regression.Regression` estimators, or their
        ``result_``

    Raises
    ------
    DataError
        the models were fitted to different data (different numbers of rows or weights;
        different responses, seen by their intercept-only log-likelihoods for the same
        family, or by the fit's data fingerprint where it keeps one)
    ParameterError
        the models are not nested: different families or links, a coefficient of the
        restricted model that the full model lacks (compared by name, per parameter
        block), as many parameters or more; or a fit is penalised (``alpha_l2`` /
        ``alpha_l1``)

    Examples
    --------
    >>> import mlekit as mk
    >>> rand = mk.datasets.load("randhie")
    >>> small = mk.Regression("poisson").fit(rand[["lncoins"]], rand["mdvis"])
    >>> big = mk.Regression("poisson").fit(rand[["lncoins", "idp"]], rand["mdvis"])
    >>> mk.lr_test(small, big)
    <LR test: chi2(1) = 164.146, p = 1.406e-37 (llf -13394 with 2 parameters -> -13311.9 with 3)>
    """
    r, f = _result(restricted, "restricted"), _result(full, "full")
    _check_unpenalised(r, "the restricted model")
    _check_unpenalised(f, "the full model")
    _check_same_data(r, f, "the restricted and the full model")
    why = _nesting_problem(r, f)
    if why is not None:
        raise ParameterError(f"lr_test: the restricted model is not nested in the full "
                             f"model: {why}")
    for res, name in ((r, "restricted"), (f, "full")):
        if not res.converged:
            from ..errors import ConvergenceWarning

            warnings.warn(f"lr_test: the {name} model's fit did not converge; its llf may "
                          "not be the maximum and the test may be wrong (refit with a larger "
                          "max_iter)", ConvergenceWarning, stacklevel=2)
    stat = 2.0 * (float(f.llf) - float(r.llf))
    if stat < 0:
        if stat < -1e-6 * max(1.0, abs(float(f.llf))):
            warnings.warn(f"lr_test: the full model's llf ({f.llf:.10g}) is below the "
                          f"restricted model's ({r.llf:.10g}): a fit stopped short of its "
                          "maximum; the statistic is set to 0", NumericalWarning,
                          stacklevel=2)
        stat = 0.0
    df = int(f.df_model - r.df_model)
    return LRTestResult(stat, df, float(stats.chi2.sf(stat, df)), float(r.llf),
                        float(f.llf), int(r.df_model), int(f.df_model))


# ---------------------------------------------------------------------- Vuong
def _row_loglik(est: Any, X: Any, y: Any, what: str) -> np.ndarray:
    """``log p(y_i | x_i)`` of a fitted estimator on the rows ``X``, ``y``."""
    from ..errors import SupportError

    if y is None:
        spec = getattr(est, "model_spec_", None)
        if spec is None:
            raise ParameterError(f"vuong_test: {what} was not fitted from a formula, so y "
                                 "is needed: vuong_test(m1, m2, X, y)")
        y = spec.response(X, numeric=est._family_obj().classifier is None)
    eta = est._eta(X)
    n = eta.shape[0]
    if est._is_classifier():
        yl = np.asarray(y)
        if yl.ndim == 2 and yl.shape[1] == 1:
            yl = yl[:, 0]
        codes = np.clip(np.searchsorted(est.classes_, yl), 0, len(est.classes_) - 1)
        if np.any(est.classes_[codes] != yl):
            i = int(np.flatnonzero(est.classes_[codes] != yl)[0])
            raise SupportError(f"vuong_test: y[{i}] = {yl[i]!r} is not one of the classes "
                               f"{what} was fitted to ({list(est.classes_)})")
        yv = codes.astype(float)
    else:
        yv = est._model.check_y(np.asarray(y, dtype=float).reshape(-1), {})
    if yv.shape[0] != n:
        raise DataError(f"vuong_test: y has {yv.shape[0]} rows but the design of {what} "
                        f"has {n}")
    with np.errstate(all="ignore"):
        nll, _, _ = est._model.rows(yv, eta, {}, order=0)
    return -np.asarray(nll, dtype=float)


def _one_sided(z: float) -> float:
    return float(stats.norm.sf(z) if z > 0 else stats.norm.cdf(z))


def vuong_test(m1: Any, m2: Any, X: Any, y: Any = None, *, X2: Any = None
               ) -> VuongTestResult:
    r"""Vuong's test of two non-nested models fitted to the same rows (``pscl::vuong``).

    With :math:`m_i = \log p_1(y_i\mid x_i) - \log p_2(y_i\mid x_i)` on the training
    rows and :math:`s_m` their sample standard deviation (divisor n − 1),

    .. math:: z = \frac{\sum_i m_i - c}{s_m\sqrt n}, \qquad
              c = 0 \;\text{(raw)},\quad k_1 - k_2 \;\text{(AIC)},\quad
              \tfrac{k_1 - k_2}{2}\log n \;\text{(BIC)},

    asymptotically N(0, 1) when both models are equally close (in Kullback–Leibler
    divergence) to the truth. Positive z favours model 1; each p-value is one-sided in
    the direction its z points, as ``pscl::vuong`` prints. ``k`` counts every estimated
    parameter (pscl counts ``coef()``, which leaves out a negative binomial's theta).

    Parameters
    ----------
    m1, m2 : fitted :class:`~mlekit.regression.Regression` estimators (the per-row
        log-likelihoods need the design, which ``result_`` does not keep)
    X : the rows both models were fitted to: the DataFrame given to ``from_formula``
        (each model rebuilds its own design from it), or model 1's design
    y : the response; optional for models fitted from a formula (read from ``X``)
    X2 : model 2's design when it differs from ``X`` (models fitted on arrays)

    Each model's per-row log-likelihoods must add up to its ``llf``: this checks that
    the rows given are the rows it was fitted to (fits without weights or offsets).

    Examples
    --------
    >>> import mlekit as mk
    >>> df = mk.datasets.load("engel")
    >>> df["rich"] = (df["foodexp"] > df["foodexp"].median()).astype(int)
    >>> logit = mk.Regression.from_formula("rich ~ income", df, family="bernoulli")
    >>> probit = mk.Regression.from_formula("rich ~ income", df, family="bernoulli",
    ...                                     link="probit")
    >>> t = mk.vuong_test(logit, probit, df)
    >>> round(t.statistic, 4), round(t.pvalue, 3), t.favours, t.nobs, t.k1 - t.k2
    (0.1535, 0.439, 'model 1', 235, 0)
    """
    ests = []
    for m, name in ((m1, "model 1"), (m2, "model 2")):
        if not hasattr(m, "_eta"):
            raise ParameterError(f"vuong_test: {name} must be a fitted Regression estimator "
                                 f"(its result_ alone does not keep the design); got "
                                 f"{type(m).__name__}")
        _result(m, name)
        ests.append(m)
    r1, r2 = m1.result_, m2.result_
    for res, name in ((r1, "model 1"), (r2, "model 2")):
        _check_unpenalised(res, name)
        if not np.isclose(res.nobs, res.n_rows, rtol=1e-12, atol=0.0):
            raise ParameterError(f"vuong_test: {name} was fitted with sample weights "
                                 f"(nobs {res.nobs:g}, {res.n_rows} rows); the test is for "
                                 "unweighted fits, as pscl::vuong")
    _check_same_data(r1, r2, "the two models")
    l1 = _row_loglik(m1, X, y, "model 1")
    l2 = _row_loglik(m2, X if X2 is None else X2, y, "model 2")
    for ll, res, name in ((l1, r1, "model 1"), (l2, r2, "model 2")):
        total = float(np.sum(ll))
        if ll.shape[0] != res.n_rows or not np.isclose(
                total, res.llf, rtol=1e-7, atol=1e-9 * max(1, ll.shape[0])):
            raise DataError(f"vuong_test: the rows given are not the rows {name} was fitted "
                            f"to: {ll.shape[0]} rows with sum log p = {total:.10g}, but the "
                            f"fit has {res.n_rows} rows and llf = {res.llf:.10g}; pass the "
                            "training data (X2= for model 2's design, if it differs)")
    m = l1 - l2
    good = np.isfinite(m)
    dropped = int(m.size - np.count_nonzero(good))
    if dropped:
        warnings.warn(f"vuong_test: {dropped} row(s) have a non-finite log-likelihood ratio "
                      "(a probability of 0 or 1 in one model); they are left out, as pscl "
                      "does: proceed with caution", NumericalWarning, stacklevel=2)
        m = m[good]
    n = int(m.size)
    if n < 2:
        raise DataError(f"vuong_test: {n} usable row(s); the test needs at least 2")
    sd = float(np.std(m, ddof=1))
    if not sd > 1e-12 * max(1.0, float(np.max(np.abs(m)))):
        raise ParameterError("vuong_test: the two models give the same log-likelihood on "
                             "every row (the ratios do not vary): they are the same model, "
                             "and Vuong's statistic is undefined")
    k1, k2 = int(r1.df_model), int(r2.df_model)
    s = float(np.sum(m))
    z = [float((s - c) / (sd * np.sqrt(n)))
         for c in (0.0, k1 - k2, (k1 - k2) * np.log(n) / 2.0)]
    return VuongTestResult(z[0], _one_sided(z[0]), z[1], _one_sided(z[1]), z[2],
                           _one_sided(z[2]), n, k1, k2, dropped)


# ---------------------------------------------------------------------- table
def compare_models(models: Sequence[Any], names: Sequence[str] | None = None,
                   lr: bool = True) -> Any:
    r"""An AIC/BIC/llf table of regressions fitted to the same data, best AIC first.

    Columns: ``llf``, ``df`` (number of estimated parameters k), ``AIC``
    :math:`= -2\ell + 2k`, ``BIC`` :math:`= -2\ell + k\log n`, ``nobs``; with ``lr``
    (the default) also ``LR``, ``LR df`` and ``LR p``: the likelihood-ratio test
    (:func:`lr_test`) of each row against the row above, where one is nested in the
    other (NaN elsewhere).

    Parameters
    ----------
    models : fitted estimators or their ``result_`` (two or more)
    names : the rows' labels; default each estimator's ``formula_``, else "model i"

    Examples
    --------
    >>> import mlekit as mk
    >>> rand = mk.datasets.load("randhie")
    >>> fits = [mk.Regression(f).fit(rand[["lncoins", "idp"]], rand["mdvis"])
    ...         for f in ("poisson", "negativebinomial")]
    >>> table = mk.compare_models(fits, names=["Poisson", "NB"])
    >>> list(table.index), list(table.columns[:5])
    (['NB', 'Poisson'], ['llf', 'df', 'AIC', 'BIC', 'nobs'])
    """
    import pandas as pd

    models = list(models)
    if len(models) < 2:
        raise ParameterError(f"compare_models needs at least two models; got {len(models)}")
    results = [_result(m, f"models[{i}]") for i, m in enumerate(models)]
    if names is None:
        names = [m.formula_ if isinstance(getattr(m, "formula_", None), str)
                 else f"model {i + 1}" for i, m in enumerate(models)]
        if len(set(names)) != len(names):  # (the same formula in two families or links)
            names = [f"{n} ({r.model.family.title}, {r.model.link.name})"
                     for n, r in zip(names, results, strict=True)]
        if len(set(names)) != len(names):
            names = [f"{i + 1}: {n}" for i, n in enumerate(names)]
    names = [str(n) for n in names]
    if len(names) != len(models):
        raise ParameterError(f"compare_models: {len(names)} names for {len(models)} models")
    if len(set(names)) != len(names):
        raise ParameterError(f"compare_models: the names are not unique ({names})")
    for i, res in enumerate(results[1:], start=1):
        _check_same_data(results[0], res, f"models[0] and models[{i}]")
    table = pd.DataFrame({"llf": [float(r.llf) for r in results],
                          "df": [int(r.df_model) for r in results],
                          "AIC": [float(r.aic) for r in results],
                          "BIC": [float(r.bic) for r in results],
                          "nobs": [float(r.nobs) for r in results]}, index=names)
    order = np.argsort(table["AIC"].to_numpy(), kind="stable")
    table = table.iloc[order]
    if lr:
        ranked = [results[i] for i in order]
        col: dict[str, list[float]] = {"LR": [np.nan], "LR df": [np.nan], "LR p": [np.nan]}
        for prev, cur in itertools.pairwise(ranked):
            pair = None
            if not (prev.penalised or cur.penalised):
                if _nesting_problem(prev, cur) is None:
                    pair = (prev, cur)
                elif _nesting_problem(cur, prev) is None:
                    pair = (cur, prev)
            if pair is None:
                t = (np.nan, np.nan, np.nan)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", NumericalWarning)
                    res = lr_test(*pair)
                t = (res.statistic, float(res.df), res.pvalue)
            for key, v in zip(("LR", "LR df", "LR p"), t, strict=True):
                col[key].append(v)
        for key, v in col.items():
            table[key] = v
    return table
