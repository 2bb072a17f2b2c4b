"""#24 item 6: every report figure is laid out so that nothing hides anything.

Each figure function of ``mlekit.report._figures`` (and the demo's BCE figure) is drawn on
representative data, the :class:`~matplotlib.figure.Figure` handed to ``_svg`` is kept, and
then measured in display coordinates with the Agg renderer:

(a) no legend box has plotted data under it: the figure is rasterised (Agg) with every
    legend, title, label, tick, grid line and spine hidden, and the pixels inside each
    legend box must all be background — a check independent of the geometry
    ``report/_figures.py`` places legends with (lines, markers, bars, fills, error bars and
    annotations of every axes count);
(b) every text (title, axis labels, tick labels, legend) lies inside the figure's canvas;
(c) a title that states two things separates them (" · ", "; " or a new line), never a bare
    juxtaposition such as "KL(P‖Q) = 2.004   KL(Q‖P) = 1.751".
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.transforms import Bbox

import mlekit as mk
from mlekit.report import _figures as F

RNG = np.random.default_rng(24)


# ---------------------------------------------------------------------------- the figures
def _nile() -> np.ndarray:
    return mk.datasets.load("nile")["volume"].to_numpy(float)


def _fit_normal():
    x = _nile()
    return F.fit_figures(x, mk.fit(x, "normal").distribution, "Nile flow: Normal MLE")


def _fit_poisson():
    x = RNG.poisson(3.5, 300).astype(float)
    return F.fit_figures(x, mk.fit(x, "poisson").distribution)


def _fit_no_ppf():
    x = RNG.gamma(2.0, 1.5, 200)
    d = mk.fit(x, "gamma").distribution

    class NoPPF:  # a distribution without a quantile function: the PP branch
        family = d.family

        def __getattr__(self, name):
            if name == "ppf":
                raise AttributeError(name)
            return getattr(d, name)

        def __repr__(self):
            return repr(d)

    return F.fit_figures(x, NoPPF())


def _profile_demo():
    """The demo's Nile profile of μ (σ re-estimated at each μ)."""
    x = _nile()
    mu, sigma, n = x.mean(), x.std(), x.size
    grid = np.linspace(mu - 4 * sigma / np.sqrt(n), mu + 4 * sigma / np.sqrt(n), 161)
    sig = np.sqrt(((x[None, :] - grid[:, None]) ** 2).mean(axis=1))
    llf = -n * np.log(sig) - n / 2 * np.log(2 * np.pi) - n / 2
    return [F.profile_figure(grid, llf, mu, "μ", "Nile: profile log-likelihood of μ")]


def _profile_ci():
    x = _nile()
    res = mk.fit(x, "gamma")
    k = float(res.params["shape"])
    grid = np.linspace(0.5 * k, 1.6 * k, 31)
    llf = np.array([mk.fit(x, "gamma", fixed={"shape": g}).llf for g in grid])
    return [F.profile_figure(grid, llf, k, "shape", ci=(0.7 * k, 1.35 * k),
                             ylabel="profile log-likelihood max over rate")]


def _kl_profiles():
    from mlekit.divergence import kl_profile

    vote = mk.datasets.load("anes96")["vote"].to_numpy(float)
    return [F.kl_profile_figure(kl_profile(vote, "bernoulli", "p"),
                                "Vote: KL(p̂ ‖ Bernoulli(p))"),
            F.kl_profile_figure(kl_profile(_nile(), "normal", "mu", num=41),
                                "Nile: KL(p̂ ‖ Normal(μ, σ̂(μ)))")]


def _kl_pair_normal():
    nile = mk.datasets.load("nile")
    before = nile.loc[nile["year"] <= 1898, "volume"].to_numpy(float)
    after = nile.loc[nile["year"] > 1898, "volume"].to_numpy(float)
    p, q = mk.fit(before, "normal").distribution, mk.fit(after, "normal").distribution
    return [F.kl_pair_figure(p, q, float(mk.kl(p, q)), float(mk.kl(q, p)))]


def _kl_pair_poisson():
    from mlekit.families import Poisson

    p, q = Poisson(rate=3.0), Poisson(rate=6.5)
    return [F.kl_pair_figure(p, q, float(mk.kl(p, q)), float(mk.kl(q, p)))]


def _residuals():
    engel = mk.datasets.load("engel")
    res = mk.LinearRegression().fit(engel[["income"]], engel["foodexp"])
    y = engel["foodexp"].to_numpy(float)
    yhat = np.asarray(res.predict(engel[["income"]]), float)
    return (F.residual_figures(yhat, y, "Engel: residuals of food expenditure on income")
            + F.residual_figures(yhat, y, scale=np.full(y.size, 100.0)))


def _calibration():
    p = RNG.uniform(0.02, 0.98, 900)
    y = (RNG.uniform(size=p.size) < p).astype(float)
    return [F.calibration_figure(p, y, title="Vote model: calibration")]


def _calibration_multiclass():
    logits = RNG.normal(size=(600, 3)) * 1.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([RNG.choice(3, p=pr) for pr in proba])
    return [F.calibration_multiclass_figure(proba, y, ["setosa", "versicolor", "virginica"])]


def _underflow():
    age = mk.datasets.load("anes96")["age"].to_numpy(float)
    d = mk.fit(age, "normal").distribution
    small = RNG.normal(0, 1, 60)
    return [F.underflow_figure(np.asarray(d.logpdf(age), float),
                               f"{age.size} ages: product vs sum of logs"),
            F.underflow_figure(np.asarray(mk.fit(small, "normal").distribution.logpdf(small)))]


def _bars():
    return [F.bars_figure(["closed form", "quadrature", "Monte Carlo"], [0.21, 0.21, 0.2],
                          "KL by method", "nats")]


def _censored_right():
    t = RNG.weibull(1.7, 150) * 10
    c = RNG.uniform(0, 14, t.size)
    data = mk.estimate.Censored.from_indicator(np.minimum(t, c), t > c)
    from mlekit.report import nonparametric_estimate

    res = mk.fit(data, "weibull")
    return F.censored_fit_figures(data, res.distribution, nonparametric_estimate(data),
                                  "Weibull fit")


def _censored_interval():
    t = RNG.gamma(3.0, 2.0, 120)
    lo, hi = np.floor(t), np.floor(t) + 1.0
    exact = RNG.uniform(size=t.size) < 0.3
    lo, hi = np.where(exact, t, lo), np.where(exact, t, hi)
    data = mk.estimate.Censored(lo, hi)
    from mlekit.report import nonparametric_estimate

    res = mk.fit(data, "gamma")
    return F.censored_fit_figures(data, res.distribution, nonparametric_estimate(data))


def _cox_snell(kind: str):
    from mlekit.report import cox_snell_residuals, nonparametric_estimate

    x = RNG.normal(size=(200, 1))
    if kind == "right":  # a Weibull AFT with right censoring
        t = RNG.weibull(1.5, 200) * np.exp(0.5 + 0.4 * x[:, 0])
        c = RNG.exponential(4.0, 200)
        y = mk.estimate.Censored.from_indicator(np.minimum(t, c), t > c)
        m = mk.Regression(family="weibull").fit(x, y)
    else:  # a Tobit model: left censoring at 0
        ys = 0.5 + x[:, 0] + RNG.normal(size=200)
        y = mk.estimate.Censored(np.where(ys <= 0, -np.inf, ys), np.where(ys <= 0, 0.0, ys))
        m = mk.Regression(family="normal").fit(x, y)
    resid = cox_snell_residuals(m, x, y)
    return F.cox_snell_figures(resid, nonparametric_estimate(resid), m.result_.model.family.title)


def _candidates_continuous():
    x = _nile()
    return F.candidate_figures(x, [(f"{n} (AIC {mk.fit(x, n).aic:.1f})", mk.fit(x, n)
                                    .distribution) for n in ("normal", "gamma", "lognormal")])


def _candidates_discrete():
    x = RNG.negative_binomial(3, 0.4, 300).astype(float)
    return F.candidate_figures(x, [(n, mk.fit(x, n).distribution)
                                   for n in ("negativebinomial", "poisson", "geometric")])


def _bce():
    from mlekit.report import _bce_figure

    p = RNG.uniform(0.01, 0.99, 500)
    y = (RNG.uniform(size=p.size) < p).astype(float)
    return [_bce_figure(y, p)]


BUILDERS: dict[str, Callable[[], list]] = {
    "fit-normal": _fit_normal, "fit-poisson": _fit_poisson, "fit-pp-plot": _fit_no_ppf,
    "profile-demo": _profile_demo, "profile-ci": _profile_ci, "kl-profile": _kl_profiles,
    "kl-pair-normal": _kl_pair_normal, "kl-pair-poisson": _kl_pair_poisson,
    "residuals": _residuals, "calibration": _calibration,
    "calibration-multiclass": _calibration_multiclass, "underflow": _underflow,
    "bars": _bars, "censored-right": _censored_right, "censored-interval": _censored_interval,
    "cox-snell-right": lambda: _cox_snell("right"), "cox-snell-tobit": lambda: _cox_snell("left"),
    "candidates-continuous": _candidates_continuous,
    "candidates-discrete": _candidates_discrete, "bce": _bce,
}


def test_every_figure_function_is_covered():
    """The registry above draws every public figure function (a new one must be added)."""
    covered = {"fit_figures", "profile_figure", "kl_profile_figure", "kl_pair_figure",
               "residual_figures", "calibration_figure", "calibration_multiclass_figure",
               "underflow_figure", "bars_figure", "censored_fit_figures", "candidate_figures",
               "cox_snell_figures"}
    public = {n for n in dir(F) if n.endswith(("_figure", "_figures")) and not n.startswith("_")}
    assert public <= covered, sorted(public - covered)


def _draw(name: str, monkeypatch) -> list:
    figs = []
    original = F._svg

    def keep(fig):
        figs.append(fig)
        return original(fig)

    monkeypatch.setattr(F, "_svg", keep)
    out = BUILDERS[name]()
    assert len(out) == len(figs) > 0
    assert all(svg.startswith("<svg") and cap for svg, cap in out)
    return figs


# ---------------------------------------------------------------------------- geometry
def _renderer(fig):
    canvas = FigureCanvasAgg(fig)
    with matplotlib.rc_context({"font.family": "sans-serif", "font.size": 10}):
        canvas.draw()
    return canvas.get_renderer()


def _data_only(fig) -> None:
    """Hide everything of ``fig`` that is not plotted data: legends, titles, axis and tick
    labels, ticks, grid lines, spines (what stays: lines, markers, patches, collections,
    annotation texts)."""
    for t in fig.texts:
        t.set_visible(False)
    for ax in fig.axes:
        if ax.get_legend() is not None:
            ax.get_legend().set_visible(False)
        for t in (ax.title, ax._left_title, ax._right_title):
            t.set_visible(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        for axis in (ax.xaxis, ax.yaxis):
            axis.label.set_visible(False)
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                for part in (tick.tick1line, tick.tick2line, tick.label1, tick.label2,
                             tick.gridline):
                    part.set_visible(False)


def _ink(fig, boxes: list[Bbox]) -> list[int]:
    """Pixels of drawn data inside each display box (shrunk by 1 px at its edges), on a
    raster of ``fig`` with everything but the data hidden: a count of what is painted there,
    independent of the geometry report/_figures.py places its legends with."""
    _data_only(fig)
    canvas = FigureCanvasAgg(fig)
    with matplotlib.rc_context({"font.family": "sans-serif", "font.size": 10}):
        canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba(), float)
    height = rgba.shape[0]
    background = np.asarray(matplotlib.colors.to_rgba(fig.get_facecolor()), float) * 255
    inked = np.max(np.abs(rgba[..., :3] - background[:3]), axis=-1) > 24
    out = []
    for b in boxes:
        x0, x1 = int(np.ceil(b.x0)) + 1, int(np.floor(b.x1)) - 1
        y0, y1 = height - int(np.floor(b.y1)) + 1, height - int(np.ceil(b.y0)) - 1
        x0, y0 = max(x0, 0), max(y0, 0)
        out.append(int(inked[y0:max(y1, y0), x0:max(x1, x0)].sum()))
    return out


def _texts(fig) -> list:
    """The texts that are drawn: titles, axis labels, tick labels in view, legends, notes."""
    out = list(fig.texts)
    for ax in fig.axes:
        out += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                *ax.texts]
        for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = min(lo, hi), max(lo, hi)
            span = hi - lo
            for tick in axis.get_major_ticks():
                if lo - 1e-9 * span <= tick.get_loc() <= hi + 1e-9 * span:
                    out += [tick.label1, tick.label2]
        leg = ax.get_legend()
        if leg is not None:
            out += [*leg.get_texts(), leg.get_title()]
    return [t for t in out if t.get_visible() and t.get_text().strip()]


def _titles(fig) -> list[str]:
    out = [ax.get_title(loc) for ax in fig.axes for loc in ("center", "left", "right")]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return [t for t in out if t]


@pytest.mark.parametrize("name", list(BUILDERS))
def test_figure_layout(name, monkeypatch):
    figs = _draw(name, monkeypatch)
    for k, fig in enumerate(figs):
        where = f"{name} figure {k}"
        r = _renderer(fig)
        # (b) every text inside the canvas (0.5 px tolerance)
        canvas = fig.bbox
        for text in _texts(fig):
            e = text.get_window_extent(r)
            assert (e.x0 >= canvas.x0 - 0.5 and e.y0 >= canvas.y0 - 0.5
                    and e.x1 <= canvas.x1 + 0.5 and e.y1 <= canvas.y1 + 0.5), \
                f"{where}: {text.get_text()!r} is clipped ({e} outside {canvas})"
        # ... with room to spare: the SVG's text is drawn in the browser's sans-serif font,
        # which can run wider than the metrics matplotlib lays it out with
        tight, pad = fig.get_tightbbox(r), 0.08  # inches
        w, h = fig.get_size_inches()
        gaps = (tight.x0, tight.y0, w - tight.x1, h - tight.y1)
        assert min(gaps) >= pad, f"{where}: text within {min(gaps):.3f} in of the edge {gaps}"
        # (c) titles: two statements are separated, never juxtaposed
        for title in _titles(fig):
            assert not re.search(r"\S {2,}\S", title), f"{where}: bare juxtaposition {title!r}"
            for part in re.split(r" · |; |\n", title):
                assert part.count("=") <= 1, f"{where}: unseparated statements in {title!r}"
        # (a) no legend box has data painted under it (on a raster of the data alone)
        legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
        boxes = [leg.get_window_extent(r) for leg in legends]
        for leg, box, ink in zip(legends, boxes, _ink(fig, boxes), strict=True):
            labels = [t.get_text() for t in leg.get_texts()]
            assert ink == 0, f"{where}: {ink} data pixels under the legend {labels} at {box}"


# ---------------------------------------------------------------------------- controls
def test_the_checks_catch_a_legend_over_data_and_a_clipped_label():
    """Negative controls: the checks above fail on a bad figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    x = np.linspace(0, 1, 50)
    ax.plot(x, np.full_like(x, 0.5), label="a flat line through the middle")
    ax.bar([0.5], [0.9], width=0.5, label="a bar")
    leg = ax.legend(loc="center")
    ax.set_ylabel("a label\nthat is pushed\nout of the canvas", labelpad=60)
    r = _renderer(fig)
    assert fig.get_tightbbox(r).x0 < 0
    assert _ink(fig, [leg.get_window_extent(r)])[0] > 100  # the line and the bar under it
    # and a legend in an empty corner has nothing under it
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot(x, np.full_like(x, 0.5), label="a flat line through the middle")
    ax.bar([0.5], [0.9], width=0.5, label="a bar")
    ax.set_ylim(0, 3)
    leg = ax.legend(loc="upper right")
    r = _renderer(fig)
    assert _ink(fig, [leg.get_window_extent(r)]) == [0]
