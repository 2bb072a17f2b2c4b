"""Self-contained HTML reports: figures as inline SVG, derivations as MathML.

* :func:`demo_report` — the six ideas on shipped real data (``mlekit demo --out``);
* :func:`fit_report`, :func:`regress_report`, :func:`kl_report`,
  :func:`derive_report` — one result each (``--report`` on the commands).

Each file is written atomically (a temporary file in the same directory, then
``os.replace``) and never over an input file. The page makes no network
requests: no scripts, no CDN, no web fonts. matplotlib is imported only when a
figure is drawn, and pyplot is never used.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._html import Page, Section, check_output_path, write_html

__all__ = [
    "Page",
    "Section",
    "check_output_path",
    "demo_report",
    "derive_report",
    "fit_report",
    "kl_report",
    "nonparametric_estimate",
    "profile_curve",
    "regress_report",
    "write_html",
]

PathLike = str | os.PathLike[str]


def _results_table_html(rt: Any) -> str:
    return rt.to_html() if hasattr(rt, "to_html") else f"<pre>{html.escape(str(rt))}</pre>"


# ---------------------------------------------------------------------------- fit
def _censored_data(res: Any, x: Any) -> Any:
    """The :class:`~mlekit.estimate.Censored` data of a censored fit (``x`` itself when it
    is one, else the data the fit kept), or None for exact data."""
    from ..estimate import Censored

    if isinstance(x, Censored):
        return x
    if not getattr(res, "censored", False):
        return None
    prep = getattr(getattr(res, "_objective", None), "prep", None)
    return getattr(prep, "censored", None)


def _censored_weights(res: Any) -> np.ndarray | None:
    prep = getattr(getattr(res, "_objective", None), "prep", None)
    return getattr(prep, "cw", None)


def nonparametric_estimate(data: Any, weights: Any = None) -> Any:
    """Kaplan–Meier when every censored value is right-censored, else Turnbull's NPMLE."""
    from ..estimate._nonparametric import kaplan_meier, turnbull

    if not (data.left.any() or data.interval.any()):
        return kaplan_meier(data.low, data.exact, weights)
    return turnbull(data.low, data.high, weights)


def profile_curve(res: Any, name: str, n: int = 31, level: float = 0.95
                  ) -> tuple[np.ndarray, np.ndarray, tuple[float, float]] | None:
    r"""A real profile log-likelihood of the scalar parameter ``name``:

    .. math:: \ell_p(\theta_j) = \max_{\theta_{-j}} \ell(\theta_j, \theta_{-j}),

    each grid point refitted with ``name`` held (warm-started at the MLE; the censored
    likelihood for censored data), with the profile-likelihood interval
    ``res.conf_int(level, method="profile")[name]``. The grid spans the interval and
    60 % beyond each end, and contains the MLE. None when no curve can be drawn.
    """
    from ..errors import MlekitError

    refit = getattr(res, "_refit", None)
    if refit is None or np.ndim(res.params[name]) != 0:
        return None
    est = float(np.asarray(res.params[name]))
    se = float(np.asarray(res.bse.get(name, np.nan)))
    dom = res.family.parameter(name).domain
    try:
        ci = tuple(float(v) for v in res.conf_int(level, method="profile")[name])
    except (MlekitError, ValueError, ArithmeticError):
        ci = (np.nan, np.nan)
    lo = ci[0] - 0.6 * (est - ci[0]) if np.isfinite(ci[0]) and ci[0] < est else \
        est - 4 * se if np.isfinite(se) and se > 0 else np.nan
    hi = ci[1] + 0.6 * (ci[1] - est) if np.isfinite(ci[1]) and ci[1] > est else \
        est + 4 * se if np.isfinite(se) and se > 0 else np.nan
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    grid = np.union1d(np.linspace(lo, hi, n), [est])
    with np.errstate(all="ignore"):
        ok = np.array([bool(np.all(np.isfinite(dom.to_unconstrained(np.array(g)))))
                       for g in grid])
    grid = grid[ok]
    llp = np.full(grid.size, np.nan)
    for i, g in enumerate(grid):
        if g == est:
            llp[i] = res.llf
            continue
        try:
            llp[i] = refit({name: float(g)})
        except MlekitError:
            continue
    good = np.isfinite(llp)
    if good.sum() <= 3:
        return None
    return grid[good], llp[good], ci  # type: ignore[return-value]


def _observation_logliks(res: Any, data: Any) -> np.ndarray:
    """Each observation's log-likelihood term: log p(x) exact, log S(l) right-censored,
    log F(h) left-censored, log(F(h) − F(l)) interval-censored."""
    from ..estimate._loglik import log_cdf, log_interval

    fam, params = res.family, {k: np.asarray(v, float) for k, v in res.params.items()}
    out = np.empty(len(data))
    with np.errstate(all="ignore"):
        out[data.exact] = fam.logpdf(data.low[data.exact], **params)
        out[data.right] = fam.logsf(data.low[data.right], **params)
        out[data.left] = log_cdf(fam, data.high[data.left], params)
        out[data.interval] = log_interval(fam, data.low[data.interval],
                                          data.high[data.interval], params)
    return out


def _profile_figures(res: Any, censored: Any) -> list[tuple[str, str]]:
    from . import _figures as F

    names = [n for n in res.params if n not in res.fixed and np.ndim(res.params[n]) == 0]
    if not names:
        return []
    name = names[0]
    curve = profile_curve(res, name)
    if curve is None:
        return []
    grid, llp, ci = curve
    others = [n for n in res.params if n != name and n not in res.fixed]
    again = (f"the other parameters ({', '.join(others)}) are re-fitted by maximum "
             "likelihood at each grid value (warm-started at the MLE)") if others else \
        "there are no other free parameters, so the profile is the log-likelihood itself"
    if censored is not None:
        kinds = [(censored.exact, "Σ log p(x) over exact values"),
                 (censored.right, "Σ log S(l) over right-censored values (X > l)"),
                 (censored.left, "Σ log F(h) over left-censored values (X ≤ h)"),
                 (censored.interval, "Σ log(F(h) − F(l)) over interval-censored values")]
        what = "censored log-likelihood: " + " + ".join(t for m, t in kinds if m.any())
        ylabel = "censored log-likelihood"
    else:
        what = "log-likelihood Σ log p(xᵢ; θ)"
        ylabel = "log-likelihood Σ log p(xᵢ; θ)"
    cap = (f"Profile {what}, as a function of {name}: {again}. Its maximum is at the MLE "
           f"(dashed). The dotted line is the maximum − χ²₁(0.95)/2; where the curve crosses "
           f"it (solid lines) is the 95% profile-likelihood interval "
           f"[{ci[0]:.4g}, {ci[1]:.4g}] = conf_int(method='profile').")
    est = float(np.asarray(res.params[name]))
    return [F.profile_figure(grid, llp, est, name,
                             f"Profile log-likelihood of {name} (others re-fitted)",
                             ci=ci if np.all(np.isfinite(ci)) else None, ylabel=ylabel,
                             caption=cap)]


def _fit_section(page: Page, res: Any, x: Any, source: str = "",
                 comparison: Any = None) -> Section:
    from . import _figures as F

    fam = res.family
    title = getattr(fam, "title", str(fam))
    censored = _censored_data(res, x)
    sec = page.section(f"{title} fit by maximum likelihood",
                       "θ_ML = argmax Σ log p(x_i; θ) — a sum of logs, never a product.")
    n = len(censored) if censored is not None else np.asarray(x).size
    if source:
        sec.para(f"Data: {source} ({n} observations"
                 + (f", {censored.n_censored} of them censored" if censored is not None else "")
                 + ").")
    if comparison is not None:
        _comparison_tables(sec, comparison)
    sec.add(_results_table_html(res.summary()))
    if censored is not None:
        est = nonparametric_estimate(censored, _censored_weights(res))
        sec.para(f"The data are censored ({censored!r}); every panel below accounts for it: "
                 f"the CDF and QQ panels use the {est.method} estimate, the histogram shows the "
                 "exact values only, and the likelihood is the censored one.")
        sec.figures(F.censored_fit_figures(censored, res.distribution, est, f"{title} fit"))
    else:
        x = np.asarray(x, float)
        sec.figures(F.fit_figures(x, res.distribution, f"{title} fit"))
    if comparison is not None:
        top = list(comparison.table.index[:3])
        sec.figures(F.candidate_figures(
            np.asarray(x, float),
            [(f"{comparison.fits[k].family.title} (ΔAIC {comparison.table.loc[k, 'dAIC']:.3g})",
              comparison.fits[k].distribution) for k in top]))
    figs = _profile_figures(res, censored)
    if censored is not None:
        logp = _observation_logliks(res, censored)
        under_title = "Product of likelihood terms vs sum of logs (censored terms included)"
    else:
        with np.errstate(divide="ignore", under="ignore"):
            logp = np.asarray(res.distribution.logpdf(np.asarray(x, float)), float)
        under_title = ""
    if logp.size > 1 and np.all(np.isfinite(logp)):
        figs.append(F.underflow_figure(logp, under_title, "likelihood terms (densities of "
                                       "exact values, probabilities of censored ones)"
                                       if censored is not None else "values p(x_i)"))
    if figs:
        sec.figures(figs)
    return sec


def _comparison_tables(sec: Section, comp: Any) -> None:
    """The ranking of ``--family auto`` (or :func:`mlekit.compare`), and what was left out."""
    t = comp.table
    def f(v: Any, d: int) -> str:
        v = float(v)
        return f"{v:.{d}f}" if np.isfinite(v) else "—"

    rows = [(name, f(r["llf"], 2), f(r["AIC"], 2), f(r["dAIC"], 2), f(r["BIC"], 2),
             f(r["KS"], 4) if "KS" in t.columns else "—")
            for name, r in t.iterrows()]
    sec.table(f"Families ranked by AIC (best first; {len(rows)} fitted to {comp.nobs} "
              "observations by maximum likelihood)",
              ["family", "llf", "AIC", "ΔAIC", "BIC", "KS"], rows)
    left: list[tuple[str, str]] = [(k, f"not fitted: {v}") for k, v in
                                   (getattr(comp, "failed", None) or {}).items()]
    skipped = getattr(comp, "skipped", None)
    if isinstance(skipped, dict):
        left += [(str(k), f"skipped: {v}") for k, v in skipped.items()]
    elif skipped:
        left += [(str(k), "skipped") for k in skipped]
    rule, tried = getattr(comp, "rule", None), getattr(comp, "tried", None)
    if tried:
        sec.para(f"Families tried ({len(tried)}): {', '.join(map(str, tried))}.")
    if rule:
        sec.para(f"Rule: {rule}.")
    if left:
        sec.table("Families tried but not ranked", ["family", "why"], left)


def fit_report(res: Any, x: Any, out: PathLike, source: str = "",
               inputs: Iterable[PathLike] = (), comparison: Any = None) -> Path:
    """Write the report of one unconditional fit: table, histogram + density, QQ plot,
    profile likelihood and the product-vs-sum-of-logs panel.

    ``x`` is the data (a :class:`~mlekit.estimate.Censored` for censored data; for a
    censored ``res`` the data it was fitted to are used in any case: Kaplan–Meier or
    Turnbull CDF and QQ panels, exact values only in the histogram, the censored
    likelihood). ``comparison``: the :class:`~mlekit.estimate.compare.CompareResult` the
    fit was chosen from (``--family auto``): its ranking table and the densities and CDFs
    of the top three candidates are added.
    """
    page = Page(f"mlekit: {getattr(res.family, 'title', res.family)} fit", source=source)
    _fit_section(page, res, x, source, comparison)
    return write_html(out, page.render(), inputs)


# ---------------------------------------------------------------------------- regress
def _regress_section(page: Page, model: Any, X: Any, y: np.ndarray, source: str = "") -> Section:
    from . import _figures as F

    r = model.result_
    fam = r.model.family
    sec = page.section(f"{fam.title} regression by conditional maximum likelihood",
                       "θ_ML = argmax Σ log P(y_i | x_i; θ).")
    if source:
        sec.para(f"Data: {source} ({len(y)} rows).")
    sec.add(_results_table_html(r.summary()))
    from ..estimate import Censored

    if isinstance(y, Censored):
        resid = cox_snell_residuals(model, X, y)
        est = nonparametric_estimate(resid)
        sec.para(f"The response is censored ({y!r}): the panels below are the Cox–Snell "
                 "residuals r = −log S(y | x) of the fitted model, a censored sample of the "
                 f"unit exponential if the model is right ({est.method} estimate).")
        sec.figures(F.cox_snell_figures(resid, est, fam.title))
        return sec
    y = np.asarray(y, float)
    if fam.classifier == "binary":
        proba = np.asarray(model.predict_proba(X), float)
        p1 = proba[:, 1] if proba.ndim == 2 else proba
        classes = getattr(model, "classes_", None)
        y01 = (y == classes[1]).astype(float) if classes is not None and len(classes) == 2 else y
        sec.figures([F.calibration_figure(p1, y01)])
    elif fam.classifier in ("multiclass", "ordinal"):  # (ordinal: ordered classes)
        proba = np.asarray(model.predict_proba(X), float)
        classes = list(getattr(model, "classes_", range(proba.shape[1])))
        y_index = np.searchsorted(np.asarray(classes, float), y)
        sec.figures([F.calibration_multiclass_figure(proba, y_index, [f"{c:g}" if isinstance(
            c, (int, float, np.floating, np.integer)) else str(c) for c in classes])])
    else:
        mean = np.asarray(model.predict_mean(X), float)
        sd = None
        try:
            with np.errstate(all="ignore"):
                sd = np.sqrt(np.asarray(model.predict_distribution(X).var, float))
            if sd.shape != mean.shape or not np.all(np.isfinite(sd)):
                sd = None
        except Exception:  # a family without a closed-form variance: raw residuals
            sd = None
        sec.figures(F.residual_figures(mean, y, scale=sd))
    return sec


def cox_snell_residuals(model: Any, X: Any, y: Any) -> Any:
    r"""The Cox–Snell residuals :math:`r_i = -\log S(y_i \mid x_i;\hat\theta)` of a
    regression fitted to censored responses ``y`` (:class:`~mlekit.estimate.Censored`), as
    censored data themselves: an exact :math:`y_i` gives an exact :math:`r_i`; a response
    known to lie in :math:`(l, h]` a residual in :math:`(-\log S(l), -\log S(h)]`
    (:math:`-\log S(-\infty) = 0`, :math:`-\log S(\infty) = \infty`: a left-censored
    residual lies in :math:`(0, -\log S(h)]`, a right-censored one above
    :math:`-\log S(l)`)."""
    from ..estimate import Censored

    dist = model.predict_distribution(X)
    with np.errstate(all="ignore"):
        lo = np.where(np.isfinite(y.low), -np.asarray(dist.logsf(np.where(
            np.isfinite(y.low), y.low, 0.0)), float), 0.0)
        hi = np.where(np.isfinite(y.high), -np.asarray(dist.logsf(np.where(
            np.isfinite(y.high), y.high, 0.0)), float), np.inf)
    lo = np.where(np.asarray(y.low) == np.asarray(y.high), hi, lo)  # exact: one value
    return Censored(np.where(np.isfinite(y.low), lo, -np.inf), hi)


def regress_report(model: Any, X: Any, y: Any, out: PathLike, source: str = "",
                   inputs: Iterable[PathLike] = ()) -> Path:
    """Write the report of a fitted Regression: summary, residuals or calibration curve (a
    censored response, :class:`~mlekit.estimate.Censored`: its Cox–Snell residuals)."""
    from ..estimate import Censored

    page = Page("mlekit: regression", source=source)
    _regress_section(page, model, X, y if isinstance(y, Censored) else np.asarray(y, float),
                     source)
    return write_html(out, page.render(), inputs)


# ---------------------------------------------------------------------------- kl
def kl_report(p: Any, q: Any, fwd: Any, rev: Any, out: PathLike) -> Path:
    """Write the report of a KL computation: both directions and the two distributions."""
    from . import _figures as F

    page = Page("mlekit: KL divergence")
    sec = page.section(f"KL({p!r} ‖ {q!r})",
                       "KL(P‖Q) = E_P[log P − log Q] ≥ 0, = 0 iff P = Q, and not symmetric.")
    def show(v: Any) -> Any:
        a = np.asarray(v, dtype=float)
        return float(a) if a.ndim == 0 else np.array2string(a, precision=6, separator=", ")

    rows = [("KL(P‖Q)", show(fwd.value), fwd.method, show(fwd.error)),
            ("KL(Q‖P)", show(rev.value), rev.method, show(rev.error))]
    sec.table("KL divergence (nats)", ["", "value", "method", "error estimate"], rows)
    if not p.batch_shape and not q.batch_shape and p.family.event_ndim == 0 \
            and q.family.event_ndim == 0:
        sec.figures([F.kl_pair_figure(p, q, float(fwd), float(rev))])
    return write_html(out, page.render())


# ---------------------------------------------------------------------------- derive
def derive_report(d: Any, family: Any, out: PathLike) -> Path:
    """Write a derivation as MathML (renders in any modern browser, no network)."""
    page = Page(f"mlekit: the loss of the {getattr(family, 'title', family)} likelihood")
    sec = page.section(d.title if hasattr(d, "title") else "Derivation",
                       "NLL = a · Σ loss_i + c: the named loss, its exact scale a and the "
                       "constant c.")
    sec.add(d.to_mathml())
    return write_html(out, page.render())


# ---------------------------------------------------------------------------- demo
def demo_report(sections: Sequence[Any], out: PathLike) -> Path:
    """Write the demo (the output of :func:`mlekit.report.demo.run_demo`) as one HTML page."""
    from . import _figures as F

    page = Page("mlekit — where does your loss function come from?",
                lead="Six ideas, computed on real data shipped with mlekit. Every number is "
                     "checked against an independent computation (✔).",
                source="mlekit.datasets (public-domain data; see SOURCES.md)")
    by = {s.number: s for s in sections}
    for s in sections:
        sec = page.section(s.title, s.idea)
        sec.para(f"Data: {s.data}.")
        ex = s.extra
        if s.number == 1:
            sec.add(_results_table_html(ex["fit"].summary()))
            sec.figures(F.fit_figures(ex["x"], ex["fit"].distribution, "Nile flow: Normal MLE"))
            sec.figures([F.profile_figure(ex["grid"], ex["llf_profile"],
                                          float(ex["fit"].params["mu"]), "μ",
                                          "Nile: profile log-likelihood of μ"),
                         F.underflow_figure(ex["age_logp"],
                                            f"{ex['age'].size} ages: product vs sum of logs")])
        elif s.number == 2:
            sec.add(_results_table_html(ex["summary"]))
            sec.figures([F.calibration_figure(ex["p"], ex["y"],
                                              title="Vote model: calibration")])
        elif s.number == 3:
            sec.table("KL between the two fitted Normals (nats)",
                      ["", "closed form", "quadrature", "quad error estimate"], ex["table"])
            sec.figures([F.kl_pair_figure(ex["p"], ex["q"], ex["kl_pq"], ex["kl_qp"])])
        elif s.number == 4:
            dec, dec2 = ex["dec"], ex["dec_other"]
            sec.table("Mean NLL = H(p̂) + KL(p̂ ‖ p_θ), vote data (nats)",
                      ["model", "mean NLL H(p̂, p_θ)", "H(p̂)", "KL(p̂ ‖ p_θ)", "identity gap"],
                      [(repr(dec.model), dec.mean_nll, dec.data_entropy, dec.kl,
                        dec.identity_gap),
                       (repr(dec2.model), dec2.mean_nll, dec2.data_entropy, dec2.kl,
                        dec2.identity_gap)])
            sec.figures([F.kl_profile_figure(ex["profile"], "Vote: KL(p̂ ‖ Bernoulli(p))"),
                         F.kl_profile_figure(ex["profile_nile"],
                                             "Nile: KL(p̂ ‖ Normal(μ, σ̂(μ)))")])
        elif s.number == 5:
            sec.add(ex["derivation"].to_mathml())
            sec.figures(F.residual_figures(ex["yhat"], ex["y"],
                                           "Engel: residuals of food expenditure on income"))
        elif s.number == 6:
            sec.add(ex["derivation"].to_mathml())
            sec.figures([_bce_figure(ex["y"], ex["p"])])
            if 2 in by:
                sec.para("The probabilities p_i are those of the logistic regression of idea 2.")
        sec.table("Numbers", ["quantity", "value"],
                  [(k, "0.0" if isinstance(v, (float, np.floating)) and v == 0
                    else v if isinstance(v, (int, float, np.floating, np.integer)) else str(v))
                   for k, v in s.facts])
        for ok, text in s.checks:
            sec.check(ok, text)
    from .. import datasets

    shipped = [datasets.path(name) for name in datasets.list()]  # never over the data
    return write_html(out, page.render(), inputs=shipped)


def _bce_figure(y: np.ndarray, p: np.ndarray) -> tuple[str, str]:
    from scipy.special import xlog1py, xlogy

    from . import _figures as F

    fig = F._figure()
    ax = fig.add_subplot()
    grid = np.linspace(1e-3, 1 - 1e-3, 400)
    ax.plot(grid, -np.log(grid), color=F._BLUE, lw=2, label="y = 1: −log p")
    ax.plot(grid, -np.log1p(-grid), color=F._ORANGE, lw=2, label="y = 0: −log(1 − p)")
    loss = -(xlogy(y, p) + xlog1py(1 - y, -p))
    ax.plot(p[y == 1], loss[y == 1], "o", ms=3, color=F._BLUE, alpha=0.35)
    ax.plot(p[y == 0], loss[y == 0], "o", ms=3, color=F._ORANGE, alpha=0.35)
    ax.set_ylim(0, min(6.0, float(loss.max()) + 0.5))
    ax.set_xlabel("predicted probability p = σ(θᵀx)")
    ax.set_ylabel("per-observation loss (nats)")
    ax.set_title("Binary cross-entropy = −log Bernoulli(y; p)", fontsize=11)
    ax.legend(frameon=False, fontsize=9)
    F._style(ax)
    return F._svg(fig), ("Each voter's BCE term on the two branches of −log Bernoulli(y; p); "
                         "their sum is the NLL of the logistic regression.")
