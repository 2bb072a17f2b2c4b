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
    "regress_report",
    "write_html",
]

PathLike = str | os.PathLike[str]


def _results_table_html(rt: Any) -> str:
    return rt.to_html() if hasattr(rt, "to_html") else f"<pre>{html.escape(str(rt))}</pre>"


# ---------------------------------------------------------------------------- fit
def _fit_section(page: Page, res: Any, x: np.ndarray, source: str = "") -> Section:
    from . import _figures as F

    fam = res.family
    title = getattr(fam, "title", str(fam))
    sec = page.section(f"{title} fit by maximum likelihood",
                       "θ_ML = argmax Σ log p(x_i; θ) — a sum of logs, never a product.")
    if source:
        sec.para(f"Data: {source} ({x.size} observations).")
    sec.add(_results_table_html(res.summary()))
    sec.figures(F.fit_figures(x, res.distribution, f"{title} fit"))
    # profile of the first estimable free parameter, others at their MLE
    names = [n for n in res.params if n in (res.bse or {})]
    figs: list[tuple[str, str]] = []
    if names:
        name = names[0]
        est, se = float(np.asarray(res.params[name])), float(np.asarray(res.bse[name]))
        if np.isfinite(se) and se > 0 and np.ndim(res.params[name]) == 0:
            grid = np.linspace(est - 4 * se, est + 4 * se, 161)
            dom = fam.parameter(name).domain
            try:
                ok = np.array([bool(np.all(np.isfinite(dom.to_unconstrained(np.array(g)))))
                               for g in grid])
            except Exception:
                ok = np.ones_like(grid, dtype=bool)
            grid = grid[ok]
            params = {k: np.asarray(v, float) for k, v in res.params.items()}
            llf = []
            for g in grid:
                params[name] = np.asarray(g)
                with np.errstate(divide="ignore", invalid="ignore"):
                    llf.append(float(np.sum(fam.logpdf(x, **params))))
            llf_a = np.asarray(llf)
            ok = np.isfinite(llf_a)
            if ok.sum() > 3:
                figs.append(F.profile_figure(grid[ok], llf_a[ok], est, name,
                                             f"Log-likelihood in {name} (others at the MLE)"))
    with np.errstate(divide="ignore", under="ignore"):
        logp = np.asarray(res.distribution.logpdf(x), float)
    if logp.size > 1 and np.all(np.isfinite(logp)):
        figs.append(F.underflow_figure(logp))
    if figs:
        sec.figures(figs)
    return sec


def fit_report(res: Any, x: Any, out: PathLike, source: str = "",
               inputs: Iterable[PathLike] = ()) -> Path:
    """Write the report of one unconditional fit: table, histogram + density, QQ plot,
    likelihood profile and the product-vs-sum-of-logs panel."""
    x = np.asarray(x, float)
    page = Page(f"mlekit: {getattr(res.family, 'title', res.family)} fit", source=source)
    _fit_section(page, res, x, source)
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
    y = np.asarray(y, float)
    if fam.classifier == "binary":
        proba = np.asarray(model.predict_proba(X), float)
        p1 = proba[:, 1] if proba.ndim == 2 else proba
        classes = getattr(model, "classes_", None)
        y01 = (y == classes[1]).astype(float) if classes is not None and len(classes) == 2 else y
        sec.figures([F.calibration_figure(p1, y01)])
    elif fam.classifier == "multiclass":
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


def regress_report(model: Any, X: Any, y: Any, out: PathLike, source: str = "",
                   inputs: Iterable[PathLike] = ()) -> Path:
    """Write the report of a fitted Regression: summary, residuals or calibration curve."""
    page = Page("mlekit: regression", source=source)
    _regress_section(page, model, X, np.asarray(y, float), source)
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
