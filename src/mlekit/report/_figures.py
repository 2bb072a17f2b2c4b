"""Figures for the report, drawn with matplotlib and returned as inline SVG text.

matplotlib is imported inside the functions (``import mlekit`` stays light) and
pyplot is never used: each figure is a :class:`matplotlib.figure.Figure` drawn
on its own canvas, so no GUI backend is touched and the user's backend is left
alone. Text stays text in the SVG (``svg.fonttype = "none"``) and uses the
browser's own sans-serif font — no web fonts.

Before a figure is written, :func:`_layout` measures it: each legend goes where its box
meets no plotted data (inside the axes if some place is free, else outside them), and the
canvas grows until every title, axis label and tick label lies inside it with a margin.
tests/report/test_figure_layout.py holds every figure function to this.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "calibration_figure",
    "calibration_multiclass_figure",
    "candidate_figures",
    "censored_fit_figures",
    "fit_figures",
    "kl_pair_figure",
    "kl_profile_figure",
    "profile_figure",
    "residual_figures",
    "underflow_figure",
]

_BLUE, _ORANGE, _GREEN, _GREY, _RED = "#2a5db0", "#e07b00", "#1b7f3b", "#8a93a6", "#b3261e"


def _figure(w: float = 6.0, h: float = 3.6, rows: int = 1):
    """A bare Figure with default margins (constrained layout doubles the drawing time);
    :func:`_layout` widens them where the text needs it."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h))
    fig.subplots_adjust(left=0.14, right=0.97, bottom=0.15 if rows == 1 else 0.1,
                        top=0.9 if rows == 1 else 0.93, hspace=0.35)
    return fig


#: inches kept free between the outermost text and the canvas edge: the SVG keeps its text
#: as text, drawn in the browser's sans-serif font, which may run ~10% wider than the
#: DejaVu Sans metrics matplotlib lays it out with
_PAD = 0.12
#: inches of clearance kept between a legend box and any plotted data
_CLEAR = 0.03
_INSIDE = ("upper right", "upper left", "lower right", "lower left", "upper center",
           "lower center", "center right", "center left", "center")


def _covers(box, ax, renderer) -> bool:
    """Does the display box ``box`` meet anything plotted in ``ax``: a line's segments,
    markers, bars / histogram patches, filled areas, error bars or annotation text?
    (Only the part of ``box`` inside the axes counts: data are clipped to them.)"""
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.path import Path
    from matplotlib.transforms import Bbox

    box = Bbox.intersection(box, ax.bbox)
    if box is None or box.width <= 0 or box.height <= 0:
        return False
    for line in ax.get_lines():
        xy = np.asarray(line.get_xydata(), float)
        if not line.get_visible() or xy.size == 0:
            continue
        d = line.get_transform().transform(xy)
        d = d[np.all(np.isfinite(d), axis=1)]
        if d.size == 0:
            continue
        if line.get_linestyle() not in ("None", "", " ") and len(d) > 1 \
                and Path(d).intersects_bbox(box, filled=False):
            return True
        if line.get_marker() not in ("None", "", " ", None) and box.count_contains(d):
            return True
    for patch in ax.patches:
        if patch.get_visible() and patch.get_path().transformed(
                patch.get_transform()).intersects_bbox(box, filled=True):
            return True
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        if isinstance(coll, PathCollection):
            if box.count_contains(coll.get_offset_transform().transform(coll.get_offsets())):
                return True
            continue
        tr, filled = coll.get_transform(), not isinstance(coll, LineCollection)
        if any(p.transformed(tr).intersects_bbox(box, filled=filled) for p in coll.get_paths()):
            return True
    return any(t.get_visible() and t.get_text() and t.get_window_extent(renderer).overlaps(box)
               for t in ax.texts)


def _place_legend(fig, ax, renderer) -> None:
    """Move ``ax``'s legend to where it covers no data of any axes of ``fig``.

    Tried in order: the place the figure asked for, then the nine places inside the axes
    (the first whose box, grown by :data:`_CLEAR`, meets no data wins). If none is free,
    the legend goes outside the axes: below the x-axis label for a single axes (in as
    many columns as fit its width), to the right of the axes otherwise.
    """
    leg = ax.get_legend()
    if leg is None:
        return
    margin = _CLEAR * fig.dpi
    asked = next((name for name, code in leg.codes.items() if code == leg._loc), None)
    for loc in ([asked] if asked and asked != "best" else []) + list(_INSIDE):
        if hasattr(leg, "set_loc"):  # matplotlib >= 3.8
            leg.set_loc(loc)
        else:
            leg._loc = leg.codes[loc]
        box = leg.get_window_extent(renderer).padded(margin)
        if not any(_covers(box, other, renderer) for other in fig.axes):
            return
    handles, labels = ax.get_legend_handles_labels()
    size = leg.get_texts()[0].get_fontsize() if leg.get_texts() else 9
    frame = leg.get_frame_on()
    if len(fig.axes) == 1:
        below = ax.xaxis.get_tightbbox(renderer)
        y = ax.transAxes.inverted().transform((0.0, below.y0 - 4.0))[1]
        for ncol in range(len(labels), 0, -1):
            new = ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, y),
                            ncol=ncol, frameon=frame, fontsize=size)
            if new.get_window_extent(renderer).width <= ax.bbox.width or ncol == 1:
                return
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              frameon=frame, fontsize=size, borderaxespad=0.0)


def _fit_canvas(fig, renderer) -> None:
    """Grow the canvas (never the axes) until every text — titles, axis and tick labels,
    legends — lies at least :data:`_PAD` inches inside it."""
    w, h = fig.get_size_inches()
    tight = fig.get_tightbbox(renderer)
    left, bottom = max(0.0, _PAD - tight.x0), max(0.0, _PAD - tight.y0)
    right, top = max(0.0, tight.x1 - (w - _PAD)), max(0.0, tight.y1 - (h - _PAD))
    if left == bottom == right == top == 0.0:
        return
    boxes = [ax.get_position().frozen() for ax in fig.axes]
    nw, nh = w + left + right, h + bottom + top
    fig.set_size_inches(nw, nh)
    for ax, b in zip(fig.axes, boxes, strict=True):
        ax.set_position([(b.x0 * w + left) / nw, (b.y0 * h + bottom) / nh,
                         b.width * w / nw, b.height * h / nh])


def _layout(fig) -> None:
    """Legends off the data, then the canvas around all the text (see the two helpers)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    for ax in fig.axes:  # settle the autoscaled limits before measuring (no full draw)
        ax.apply_aspect()
        ax.get_xlim()
        ax.get_ylim()
    for ax in fig.axes:
        _place_legend(fig, ax, renderer)
    _fit_canvas(fig, renderer)


def _svg(fig) -> str:
    """The figure as an ``<svg>`` element (no XML prolog, no fixed pixel size), laid out
    first so that no legend covers data and no text is clipped (:func:`_layout`)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "sans-serif",
                                "font.size": 10, "axes.spines.top": False,
                                "axes.spines.right": False}):
        _layout(fig)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    start = text.find("<svg")
    text = text[start:]
    # let CSS size the figure (keep the viewBox for the aspect ratio)
    text = re.sub(r'(<svg[^>]*?)\swidth="[^"]*"', r"\1", text, count=1)
    text = re.sub(r'(<svg[^>]*?)\sheight="[^"]*"', r"\1", text, count=1)
    return text.replace("<svg ", '<svg role="img" class="mlekit-figure" ', 1)


def _style(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(alpha=0.25)


# ---------------------------------------------------------------------------- fit
def fit_figures(x: np.ndarray, dist: Any, title: str = "") -> list[tuple[str, str]]:
    """Histogram with the fitted density (or pmf) and a QQ / PP plot."""
    x = np.asarray(x, dtype=float)
    fam = dist.family
    out = []
    fig = _figure()
    ax = fig.add_subplot()
    if fam.discrete:
        lo, hi = int(np.floor(x.min())), int(np.ceil(x.max()))
        ks = np.arange(lo, hi + 1)
        if ks.size > 60:
            ks = np.arange(lo, int(np.quantile(x, 0.99)) + 1)
        counts = np.array([(x == k).mean() for k in ks])
        ax.bar(ks, counts, width=0.8, color=_GREY, alpha=0.6, label="data (relative frequency)")
        with np.errstate(divide="ignore"):
            pmf = np.exp(np.asarray(dist.logpdf(ks.astype(float)), dtype=float))
        ax.plot(ks, pmf, "o-", color=_BLUE, ms=3.5, lw=1.2, label=f"fitted {fam.title} pmf")
        ax.set_xlabel("value")
        ax.set_ylabel("probability")
    else:
        bins = min(40, max(10, int(np.sqrt(x.size) * 1.5)))
        ax.hist(x, bins=bins, density=True, color=_GREY, alpha=0.55, edgecolor="white",
                label="data (histogram)")
        pad = 0.1 * (x.max() - x.min() + 1e-12)
        grid = np.linspace(x.min() - pad, x.max() + pad, 400)
        with np.errstate(divide="ignore", over="ignore", under="ignore"):
            dens = np.exp(np.asarray(dist.logpdf(grid), dtype=float))
        ax.plot(grid, dens, color=_BLUE, lw=2, label=f"fitted {fam.title} density")
        ax.set_xlabel("value")
        ax.set_ylabel("density")
    ax.set_title(title or f"{fam.title} fit", fontsize=11)
    ax.legend(frameon=False, fontsize=9)
    _style(ax)
    out.append((_svg(fig), f"Histogram of the data with the maximum-likelihood {fam.title} "
                           f"{'pmf' if fam.discrete else 'density'} {dist!r}."))

    fig = _figure()
    ax = fig.add_subplot()
    n = x.size
    probs = (np.arange(1, n + 1) - 0.5) / n
    xs = np.sort(x)
    try:
        theo = np.asarray(dist.ppf(probs), dtype=float)
        ok = np.isfinite(theo)
        ax.plot(theo[ok], xs[ok], "o", ms=3, color=_BLUE, alpha=0.75)
        lo, hi = np.nanmin([theo[ok].min(), xs.min()]), np.nanmax([theo[ok].max(), xs.max()])
        ax.plot([lo, hi], [lo, hi], color=_ORANGE, lw=1.2, label="y = x")
        ax.set_xlabel(f"{fam.title} quantiles")
        ax.set_ylabel("data quantiles")
        ax.set_title("QQ plot", fontsize=11)
        cap = "QQ plot: sorted data against the fitted quantiles; points on the line = good fit."
    except Exception:  # no quantile function: PP plot from the CDF instead
        emp = probs
        theo = np.asarray(dist.cdf(xs), dtype=float)
        ax.plot(theo, emp, "o", ms=3, color=_BLUE, alpha=0.75)
        ax.plot([0, 1], [0, 1], color=_ORANGE, lw=1.2, label="y = x")
        ax.set_xlabel(f"fitted {fam.title} CDF")
        ax.set_ylabel("empirical CDF")
        ax.set_title("PP plot", fontsize=11)
        cap = "PP plot: empirical against fitted CDF; points on the line = good fit."
    ax.legend(frameon=False, fontsize=9)
    _style(ax)
    out.append((_svg(fig), cap))
    return out


# ---------------------------------------------------------------------------- profiles
def profile_figure(grid: np.ndarray, llf: np.ndarray, mle: float, param: str,
                   title: str = "", *, ci: tuple[float, float] | None = None,
                   ylabel: str = "log-likelihood Σ log p(xᵢ; θ)",
                   caption: str | None = None) -> tuple[str, str]:
    """Log-likelihood profile with the MLE marked and the 95% likelihood-ratio cut
    (and, given ``ci``, the interval where the curve crosses it)."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(grid, llf, color=_BLUE, lw=2, label="profile log-likelihood")
    top, bottom = float(np.max(llf)), float(np.min(llf))
    span = max(top - bottom, 1e-9)
    # room below the curve for the legend, so it covers no line
    ax.set_ylim(bottom - 0.75 * span, top + 0.08 * span)
    ax.plot([mle, mle], [bottom, top + 0.08 * span], color="k", ls="--", lw=1,
            label=f"MLE {param} = {mle:.4g}")
    ax.axhline(top - 1.920729, color=_ORANGE, ls=":", lw=1.2, label="95% LR cut (−χ²₁/2)")
    if ci is not None:
        for v in ci:
            if np.isfinite(v) and grid[0] <= v <= grid[-1]:
                ax.plot([v, v], [bottom, top + 0.08 * span], color=_ORANGE, ls="-", lw=0.9,
                        alpha=0.8)
        ax.plot([], [], color=_ORANGE, lw=0.9, label=f"95% profile CI [{ci[0]:.4g}, {ci[1]:.4g}]")
    ax.set_xlabel(param)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"Likelihood profile of {param}", fontsize=11)
    ax.legend(frameon=False, fontsize=9, loc="lower center")
    _style(ax)
    return _svg(fig), caption or (f"Profile log-likelihood of {param}: its maximum is the MLE; "
                                  "the dotted line marks the 95% likelihood-ratio interval.")


def kl_profile_figure(prof: Any, title: str = "") -> tuple[str, str]:
    """Top: mean NLL = H(p̂, p_θ) with H(p̂); bottom: KL(p̂ ‖ p_θ) — its minimum at the MLE."""
    fig = _figure(6.0, 4.6, rows=2)
    top, bot = fig.subplots(2, 1, sharex=True)
    grid = np.asarray(prof.grid, dtype=float)
    mle = float(np.asarray(prof.mle[prof.param]))
    top.plot(grid, prof.mean_nll, color=_BLUE, lw=2, label="mean NLL = H(p̂, p_θ)")
    top.axhline(prof.data_entropy, color=_GREY, ls=":", lw=1.2, label="H(p̂)")
    top.axvline(mle, color="k", ls="--", lw=1)
    lo = min(float(prof.data_entropy), float(np.min(prof.mean_nll)))
    hi = float(np.max(prof.mean_nll))
    top.set_ylim(lo - 0.08 * (hi - lo), hi + 0.08 * (hi - lo))
    top.set_ylabel("nats")
    top.set_title(title or "Maximum likelihood = minimum KL", fontsize=11)
    top.legend(frameon=False, fontsize=9)
    bot.plot(grid, prof.kl, color=_GREEN, lw=2, label="KL(p̂ ‖ p_θ) = mean NLL − H(p̂)")
    bot.axvline(mle, color="k", ls="--", lw=1, label=f"MLE {prof.param} = {mle:.4g}")
    i = int(np.argmin(prof.kl))
    bot.plot([grid[i]], [prof.kl[i]], "o", color=_RED, ms=6, label="minimum of KL")
    bot.set_xlabel(prof.param)
    bot.set_ylabel("nats")
    bot.legend(frameon=False, fontsize=9)
    _style(top)
    _style(bot)
    return _svg(fig), ("Top: the mean NLL is the cross-entropy H(p̂, p_θ), never below H(p̂). "
                       "Bottom: KL(p̂ ‖ p_θ), the same curve lowered by the constant H(p̂), "
                       "bottoms out exactly at the MLE.")


def kl_pair_figure(p: Any, q: Any, kl_pq: float, kl_qp: float) -> tuple[str, str]:
    """The two densities (or pmfs) with both KL directions in the legend."""
    fig = _figure()
    ax = fig.add_subplot()
    fam_p = p.family
    if fam_p.discrete:
        hi = 1
        for d in (p, q):
            try:
                hi = max(hi, int(np.ceil(float(np.max(d.ppf(0.999))))))
            except Exception:
                hi = max(hi, 20)
        ks = np.arange(0, min(hi, 200) + 1).astype(float)
        with np.errstate(divide="ignore"):
            pp, qq = np.exp(p.logpdf(ks)), np.exp(q.logpdf(ks))
        ax.bar(ks - 0.2, pp, width=0.4, color=_BLUE, label=f"P = {p!r}")
        ax.bar(ks + 0.2, qq, width=0.4, color=_ORANGE, label=f"Q = {q!r}")
        ax.set_ylabel("probability")
    else:
        lo, hi = [], []
        for d in (p, q):
            try:
                lo.append(float(np.min(d.ppf(0.001))))
                hi.append(float(np.max(d.ppf(0.999))))
            except Exception:
                m, s = float(np.mean(d.mean)), float(np.sqrt(np.mean(d.var)))
                lo.append(m - 4 * s)
                hi.append(m + 4 * s)
        grid = np.linspace(min(lo), max(hi), 500)
        with np.errstate(divide="ignore", over="ignore", under="ignore"):
            ax.plot(grid, np.exp(p.logpdf(grid)), color=_BLUE, lw=2, label=f"P = {p!r}")
            ax.plot(grid, np.exp(q.logpdf(grid)), color=_ORANGE, lw=2, label=f"Q = {q!r}")
        ax.set_ylabel("density")
    ax.set_title(f"KL(P‖Q) = {kl_pq:.4g} · KL(Q‖P) = {kl_qp:.4g}", fontsize=11)
    ax.legend(frameon=False, fontsize=9)
    _style(ax)
    return _svg(fig), "The two distributions; KL is not symmetric, so both directions are shown."


# ---------------------------------------------------------------------------- regression
def residual_figures(fitted: np.ndarray, y: np.ndarray, title: str = "",
                     scale: np.ndarray | None = None) -> list[tuple[str, str]]:
    """Residuals against fitted values, and a normal QQ plot of standardised residuals.

    With ``scale`` (the model's standard deviation of y at each row) the residuals
    are Pearson residuals (y − ŷ)/sd(y | x), the usual GLM diagnostic.
    """
    from scipy.special import ndtri

    fitted, y = np.asarray(fitted, float), np.asarray(y, float)
    r = y - fitted
    pearson = scale is not None
    if pearson:
        sd = np.asarray(scale, float)
        r = r / np.where(sd > 0, sd, 1.0)
    label = "Pearson residual (y − ŷ)/sd" if pearson else "residual y − ŷ"
    out = []
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(fitted, r, "o", ms=3.5, color=_BLUE, alpha=0.6)
    ax.axhline(0, color=_ORANGE, lw=1.2)
    ax.set_xlabel("fitted value ŷ = E[y | x]")
    ax.set_ylabel(label)
    ax.set_title(title or "Residuals against fitted values", fontsize=11)
    _style(ax)
    out.append((_svg(fig), "Residuals against fitted values: no pattern and a constant spread "
                           "are what the model assumes."))
    fig = _figure()
    ax = fig.add_subplot()
    n = r.size
    z = np.sort((r - r.mean()) / (r.std() if r.std() > 0 else 1.0))
    theo = ndtri((np.arange(1, n + 1) - 0.5) / n)
    ax.plot(theo, z, "o", ms=3.5, color=_BLUE, alpha=0.7)
    ax.plot([theo[0], theo[-1]], [theo[0], theo[-1]], color=_ORANGE, lw=1.2)
    ax.set_xlabel("standard normal quantiles")
    ax.set_ylabel("standardised residuals")
    ax.set_title("Normal QQ plot of residuals", fontsize=11)
    _style(ax)
    out.append((_svg(fig), "Normal QQ plot of the standardised "
                           + ("Pearson " if pearson else "") + "residuals."))
    return out


def calibration_multiclass_figure(proba: np.ndarray, y_index: np.ndarray,
                                  labels: Sequence[str], bins: int = 8) -> tuple[str, str]:
    """One reliability curve per class (one-vs-rest) on shared axes."""
    proba, y_index = np.asarray(proba, float), np.asarray(y_index)
    colors = [_BLUE, _ORANGE, _GREEN, _RED, _GREY, "#7b3fb0", "#b07b3f", "#3fb0a6"]
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color=_GREY, ls=":", lw=1.2, label="perfect calibration")
    for k in range(proba.shape[1]):
        p, obs = proba[:, k], (y_index == k).astype(float)
        qs = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
        idx = np.clip(np.searchsorted(qs, p, side="right") - 1, 0, max(len(qs) - 2, 0))
        mp = [p[idx == b].mean() for b in range(max(len(qs) - 1, 1)) if (idx == b).any()]
        fo = [obs[idx == b].mean() for b in range(max(len(qs) - 1, 1)) if (idx == b).any()]
        ax.plot(mp, fo, "o-", ms=4, lw=1.4, color=colors[k % len(colors)],
                label=f"class {labels[k]}")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("predicted probability of the class")
    ax.set_ylabel("observed frequency of the class")
    ax.set_title("Calibration by class (one vs rest)", fontsize=11)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    _style(ax)
    return _svg(fig), ("Calibration of each class probability (quantile bins, one vs rest); a "
                       "calibrated model follows the diagonal.")


def calibration_figure(p_hat: np.ndarray, y: np.ndarray, bins: int = 10,
                       title: str = "") -> tuple[str, str]:
    """Reliability diagram: mean predicted probability against observed frequency per bin."""
    p_hat, y = np.asarray(p_hat, float), np.asarray(y, float)
    qs = np.unique(np.quantile(p_hat, np.linspace(0, 1, bins + 1)))
    idx = np.clip(np.searchsorted(qs, p_hat, side="right") - 1, 0, max(len(qs) - 2, 0))
    mp, fo, cnt = [], [], []
    for b in range(max(len(qs) - 1, 1)):
        m = idx == b
        if m.any():
            mp.append(p_hat[m].mean())
            fo.append(y[m].mean())
            cnt.append(int(m.sum()))
    mp_a, fo_a, cnt_a = np.array(mp), np.array(fo), np.array(cnt)
    se = np.sqrt(np.clip(mp_a * (1 - mp_a), 1e-12, None) / cnt_a)
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color=_GREY, ls=":", lw=1.2, label="perfect calibration")
    ax.errorbar(mp_a, fo_a, yerr=1.96 * se, fmt="o-", color=_BLUE, ms=5, lw=1.5, capsize=3,
                label="observed frequency (±1.96 se)")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("predicted probability P(y = 1 | x)")
    ax.set_ylabel("observed frequency of y = 1")
    ax.set_title(title or "Calibration curve", fontsize=11)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    _style(ax)
    return _svg(fig), (f"Calibration curve over {len(mp)} quantile bins of the predicted "
                       "probability; a calibrated model follows the diagonal.")


# ---------------------------------------------------------------------------- underflow
def underflow_figure(logp: np.ndarray, title: str = "", terms: str = "values p(x_i)"
                     ) -> tuple[str, str]:
    """The running raw product of probabilities (underflows to 0) against the sum of logs."""
    logp = np.asarray(logp, dtype=float)
    with np.errstate(under="ignore"):
        running = np.cumprod(np.exp(logp))
    cum_log10 = np.cumsum(logp) / np.log(10.0)
    k = np.arange(1, logp.size + 1)
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(k, cum_log10, color=_BLUE, lw=2, label="sum of logs / ln 10  (exact)")
    with np.errstate(divide="ignore"):
        prod_log10 = np.where(running > 0, np.log10(np.where(running > 0, running, 1.0)), np.nan)
    ax.plot(k, prod_log10, color=_RED, lw=2, ls="--", label="log₁₀ of the raw product")
    zero = np.flatnonzero(running == 0)
    if zero.size:
        z = int(zero[0])
        ax.axvline(z + 1, color=_RED, lw=1, ls=":")
        ax.annotate(f"product = 0.0 from observation {z + 1}", xy=(z + 1, cum_log10[z]),
                    xytext=(10, 25), textcoords="offset points", color=_RED, fontsize=9,
                    arrowprops={"arrowstyle": "->", "color": _RED})
    ax.axhline(np.log10(np.finfo(float).tiny), color=_GREY, ls=":", lw=1,
               label="smallest normal double (10⁻³⁰⁸)")
    ax.set_xlabel("number of observations multiplied")
    ax.set_ylabel("log₁₀ likelihood")
    ax.set_title(title or "Product of probabilities vs sum of logs", fontsize=11)
    ax.legend(frameon=False, fontsize=9, loc="lower left")
    _style(ax)
    if zero.size:
        cap = (f"The likelihood as a raw product of probabilities underflows to exactly 0.0 "
               f"from observation {int(zero[0]) + 1} (the dashed line ends); the sum of logs "
               "stays exact.")
    else:
        lowest = float(cum_log10[-1])
        per = -lowest / logp.size
        zero_at = float(np.log10(np.nextafter(0.0, 1.0)))  # smallest subnormal, 10^-323.3
        more = int(np.ceil((lowest - zero_at) / per)) if per > 0 else 0
        cap = (f"The raw product of all {logp.size} {terms} is 10^{lowest:.0f}; about "
               f"{more} more observations like these would underflow it to 0.0. The sum of "
               "logs never underflows.")
    return _svg(fig), cap


def bars_figure(labels: Sequence[str], values: Sequence[float], title: str,
                ylabel: str) -> tuple[str, str]:
    """A small bar chart (e.g. KL by method)."""
    fig = _figure(5.0, 3.2)
    ax = fig.add_subplot()
    ax.bar(list(labels), list(values), color=[_BLUE, _ORANGE, _GREEN, _GREY][: len(labels)])
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    _style(ax)
    return _svg(fig), title


# ---------------------------------------------------------------------------- censored data
def _grid_for(lo: float, hi: float) -> np.ndarray:
    pad = 0.1 * (hi - lo + 1e-12)
    return np.linspace(lo - pad, hi + pad, 400)


def _density(dist: Any, grid: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        return np.exp(np.asarray(dist.logpdf(grid), dtype=float))


def censored_fit_figures(data: Any, dist: Any, est: Any, title: str = ""
                         ) -> list[tuple[str, str]]:
    r"""Figures of a fit to censored data (:class:`~mlekit.estimate.Censored`).

    ``est`` is the nonparametric estimate of F (a
    :class:`~mlekit.estimate._nonparametric.StepCDF`: Kaplan–Meier or Turnbull).
    Returns the histogram of the exact values only with the fitted density, the
    nonparametric CDF with the fitted CDF, and the QQ plot of the nonparametric
    quantiles (each jump point :math:`t_j` at the middle of its jump
    :math:`(F(t_j^-) + F(t_j))/2`) against the fitted quantiles.
    """
    fam = dist.family
    exact = np.asarray(data.low[data.exact], float)
    n, n_cen = len(data), int(data.n_censored)
    out = []
    fig = _figure()
    ax = fig.add_subplot()
    ends = np.concatenate([data.low[np.isfinite(data.low)], data.high[np.isfinite(data.high)]])
    grid = _grid_for(float(ends.min()), float(ends.max()))
    if exact.size:
        bins = min(40, max(8, int(np.sqrt(exact.size) * 1.5)))
        counts, edges = np.histogram(exact, bins=bins)
        # scaled so the bars' area is the share of exact values (n_exact / n)
        ax.bar(edges[:-1], counts / (n * np.diff(edges)), width=np.diff(edges), align="edge",
               color=_GREY, alpha=0.55, edgecolor="white",
               label=f"{exact.size} exact values (of {n})")
    ax.plot(grid, _density(dist, grid), color=_BLUE, lw=2, label=f"fitted {fam.title} density")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.3)  # room above the bars for the legend
    ax.set_xlabel("value")
    ax.set_ylabel("density")
    ax.set_title(title or f"{fam.title} fit: exact values only", fontsize=11)
    ax.legend(frameon=False, fontsize=9, loc="best")
    _style(ax)
    fitted = (f"The curve is the {fam.title} density fitted by maximum likelihood to all "
              "the data, censored ones included")
    out.append((_svg(fig), (
        f"Histogram of the {exact.size} exact values only, scaled so its area is their share "
        f"{exact.size}/{n} of the data; the {n_cen} censored values are not drawn (only an "
        f"interval is known for them). {fitted}, so the bars fall below it where censored "
        "values lie." if exact.size else
        f"No value is observed exactly (all {n} are censored), so there is no histogram. "
        f"{fitted}.")))

    fig = _figure()
    ax = fig.add_subplot()
    pts = np.concatenate([[grid[0]], est.points, [grid[-1]]])
    lev = np.concatenate([[0.0], est.cdf, [est.cdf[-1] if est.cdf.size else 0.0]])
    ax.step(pts, lev, where="post", color=_GREY, lw=2, label=f"{est.method} estimate")
    with np.errstate(all="ignore"):
        ax.plot(grid, np.asarray(dist.cdf(grid), float), color=_BLUE, lw=1.6,
                label=f"fitted {fam.title} CDF")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("value")
    ax.set_ylabel("P(X ≤ value)")
    ax.set_title(f"CDF: {est.method} vs fitted", fontsize=11)
    ax.legend(frameon=False, fontsize=9, loc="lower right")
    _style(ax)
    what = ("right-censored values count as still at risk until they leave"
            if est.method.startswith("Kaplan") else
            "each observation counts only through the interval it is known to lie in; the "
            "mass of each innermost interval is drawn at its right end, where the estimate "
            "is unique")
    out.append((_svg(fig), (
        f"Grey steps: the {est.method} estimate of the CDF ({what}); a censored value is "
        f"never treated as exact. Blue: the fitted {fam.title} CDF."
        + (f" The estimate stops at {est.cdf[-1]:.3f}: the rest of the mass lies beyond the "
           "last censoring time." if est.cdf.size and est.cdf[-1] < 1 - 1e-9 else ""))))

    fig = _figure()
    ax = fig.add_subplot()
    prev = np.concatenate([[0.0], est.cdf[:-1]])
    mid = 0.5 * (prev + est.cdf)
    with np.errstate(all="ignore"):
        theo = np.asarray(dist.ppf(mid), float)
    ok = np.isfinite(theo)
    ax.plot(theo[ok], est.points[ok], "o", ms=3.5, color=_BLUE, alpha=0.8,
            label=f"{est.method} quantiles")
    if ok.any():
        lo = float(min(theo[ok].min(), est.points[ok].min()))
        hi = float(max(theo[ok].max(), est.points[ok].max()))
        ax.plot([lo, hi], [lo, hi], color=_ORANGE, lw=1.2, label="y = x")
    ax.set_xlabel(f"fitted {fam.title} quantiles")
    ax.set_ylabel(f"{est.method} quantiles")
    ax.set_title("QQ plot (censoring-aware)", fontsize=11)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    _style(ax)
    out.append((_svg(fig), (
        f"QQ plot: each jump point t of the {est.method} estimate against the fitted "
        f"{fam.title} quantile at the middle of its jump, (F̂(t⁻) + F̂(t))/2; points on the line "
        "= good fit. Censored values enter only through the estimate"
        + ("." if est.method.startswith("Kaplan") else
           " (Turnbull jumps are drawn at the right ends of their intervals, so the points "
           "sit up to one interval width above the line for a good fit)."))))
    return out


def cox_snell_figures(resid: Any, est: Any, family_title: str) -> list[tuple[str, str]]:
    r"""Figures of a censored regression's Cox–Snell residuals.

    ``resid`` holds :math:`r_i = -\log S(y_i \mid x_i;\hat\theta)` as
    :class:`~mlekit.estimate.Censored` data (a censored response gives a censored residual:
    right-censored at t → :math:`r_i \ge -\log S(t \mid x_i)`, left-censored → below it,
    an interval → between its ends' residuals), ``est`` their nonparametric estimate
    (Kaplan–Meier or Turnbull). If the model is right the residuals are a censored sample of
    the unit exponential (Cox & Snell 1968; Klein & Moeschberger §11.2), whose cumulative
    hazard is :math:`H(r) = r`: the first panel draws :math:`-\log(1 - \hat F(r))` against
    that line, the second the estimate's quantiles against :math:`-\log(1 - q)`.
    """
    out = []
    F = np.asarray(est.cdf, float)
    t = np.asarray(est.points, float)
    keep = F < 1.0 - 1e-12  # (a step to 1 has an infinite cumulative hazard)
    with np.errstate(divide="ignore"):
        H = -np.log1p(-F[keep])
    fig = _figure()
    ax = fig.add_subplot()
    top = float(max(np.max(t[keep], initial=0.0), np.max(H, initial=0.0), 1.0))
    ax.step(np.concatenate([[0.0], t[keep]]), np.concatenate([[0.0], H]), where="post",
            color=_GREY, lw=2, label=f"{est.method} estimate of H(r)")
    ax.plot([0.0, top], [0.0, top], color=_ORANGE, lw=1.4, label="unit exponential: H(r) = r")
    ax.set_xlabel("Cox–Snell residual r = −log S(y | x)")
    ax.set_ylabel("cumulative hazard H(r)")
    ax.set_title("Cox–Snell residuals: cumulative hazard", fontsize=11)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    _style(ax)
    n, n_cen = len(resid), int(resid.n_censored)
    out.append((_svg(fig), (
        f"Cox–Snell residuals r = −log S(y | x) of the fitted {family_title} regression, "
        f"{n} rows, {n_cen} of them censored (a censored response gives a censored residual: "
        "only a bound or an interval is known). If the model is right they are a censored "
        "sample of the unit exponential, whose cumulative hazard is the orange line "
        f"H(r) = r; grey steps: the {est.method} estimate −log(1 − F̂(r)) of theirs. "
        "Steps far from the line say the model is wrong; the right end is noisy (few rows "
        "are left at risk there).")))

    fig = _figure()
    ax = fig.add_subplot()
    prev = np.concatenate([[0.0], F[:-1]])
    mid = 0.5 * (prev + F)
    theo = -np.log1p(-mid)
    ax.plot(theo, t, "o", ms=3.5, color=_BLUE, alpha=0.8, label=f"{est.method} quantiles")
    hi = float(max(np.max(theo, initial=1.0), np.max(t, initial=1.0)))
    ax.plot([0.0, hi], [0.0, hi], color=_ORANGE, lw=1.2, label="y = x")
    ax.set_xlabel("unit exponential quantiles −log(1 − q)")
    ax.set_ylabel("Cox–Snell residual quantiles")
    ax.set_title("QQ plot of the residuals (censoring-aware)", fontsize=11)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    _style(ax)
    out.append((_svg(fig), (
        f"QQ plot: each jump point r of the {est.method} estimate of the residuals' CDF "
        "against the unit exponential quantile at the middle of its jump, "
        "−log(1 − (F̂(r⁻) + F̂(r))/2); points on the line = the fitted conditional "
        "distributions describe the data.")))
    return out


# ---------------------------------------------------------------------------- candidates
def candidate_figures(x: np.ndarray, dists: Sequence[tuple[str, Any]]
                      ) -> list[tuple[str, str]]:
    """The data with the densities (pmfs) and the CDFs of several fitted candidates."""
    x = np.asarray(x, float)
    colors = [_BLUE, _ORANGE, _GREEN, _RED]
    discrete = all(d.family.discrete for _, d in dists)
    out = []
    fig = _figure()
    ax = fig.add_subplot()
    if discrete:
        lo, hi = int(np.floor(x.min())), int(np.ceil(x.max()))
        ks = np.arange(lo, hi + 1)
        if ks.size > 60:
            ks = np.arange(lo, int(np.quantile(x, 0.99)) + 1)
        ax.bar(ks, [(x == k).mean() for k in ks], width=0.8, color=_GREY, alpha=0.55,
               label="data (relative frequency)")
        for (label, d), c in zip(dists, colors, strict=False):
            ax.plot(ks, _density(d, ks.astype(float)), "o-", ms=3, lw=1.2, color=c,
                    label=label)
        ax.set_ylabel("probability")
    else:
        bins = min(40, max(10, int(np.sqrt(x.size) * 1.5)))
        ax.hist(x, bins=bins, density=True, color=_GREY, alpha=0.55, edgecolor="white",
                label="data (histogram)")
        grid = _grid_for(float(x.min()), float(x.max()))
        for (label, d), c in zip(dists, colors, strict=False):
            ax.plot(grid, _density(d, grid), lw=1.8, color=c, label=label)
        ax.set_ylabel("density")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.35)  # room above the data for the legend
    ax.set_xlabel("value")
    ax.set_title(f"Top {len(dists)} candidates by AIC: {'pmfs' if discrete else 'densities'}",
                 fontsize=11)
    ax.legend(frameon=False, fontsize=8.5, loc="best")
    _style(ax)
    names = ", ".join(label for label, _ in dists)
    out.append((_svg(fig), (
        f"{'Relative frequencies' if discrete else 'Histogram'} of the data with the fitted "
        f"{'pmfs' if discrete else 'densities'} of the best {len(dists)} families by AIC "
        f"({names}), each fitted by maximum likelihood.")))

    fig = _figure()
    ax = fig.add_subplot()
    xs = np.sort(x)
    ecdf = np.arange(1, xs.size + 1) / xs.size
    ax.step(xs, ecdf, where="post", color=_GREY, lw=2, label="empirical CDF")
    grid = np.arange(np.floor(xs[0]), np.ceil(xs[-1]) + 1) if discrete else \
        _grid_for(float(xs[0]), float(xs[-1]))
    for (label, d), c in zip(dists, colors, strict=False):
        with np.errstate(all="ignore"):
            cdf = np.asarray(d.cdf(grid), float)
        if discrete:
            ax.step(grid, cdf, where="post", lw=1.4, color=c, label=label)
        else:
            ax.plot(grid, cdf, lw=1.4, color=c, label=label)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("value")
    ax.set_ylabel("P(X ≤ value)")
    ax.set_title("Empirical CDF and the candidates' CDFs", fontsize=11)
    ax.legend(frameon=False, fontsize=8.5, loc="lower right")
    _style(ax)
    out.append((_svg(fig), (
        f"Grey steps: the empirical CDF of the {xs.size} values; lines: the fitted CDFs of "
        f"{names}. The largest vertical gap to a line is that family's KS statistic.")))
    return out
