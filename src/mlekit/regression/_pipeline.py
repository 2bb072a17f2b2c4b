r"""The regression pipeline: validate → design → solve → inference, for any row-sum backend.

.. math::

    \hat\beta = \arg\max_\beta \sum_i w_i \log p\bigl(y_i \mid
        \theta_{ik} = g_k^{-1}(z_{ik}^\top\beta_k + o_{ik})\bigr)
        \;-\; \tfrac{\alpha_2}{2}\lVert\beta_{\text{slopes}}\rVert^2
        \;-\; \alpha_1 \lVert\beta_{\text{slopes}}\rVert_1

One implementation serves every front end: the scikit-learn estimator
(:class:`~mlekit.regression.Regression`, a thin wrapper that validates ``X`` and keeps
the fitted attributes) calls :func:`fit_in_memory`; the Dask backend
(``mlekit.distributed``) calls the same stages, :func:`build_model`,
:func:`penalties`, :func:`start`, :func:`warm_fit`, :func:`solve` and
:func:`finish`, with its own row sums. Neither reads the other's private state, and
no family is recognised by its name: what a family or row model can do is declared
on it (``Family.classifier``, ``Family.trials_parameter``, ``RowModel.exact``,
``RowModel.information_kind``, the row model's own fields).

Stages (in memory):

1. **inputs** (:mod:`._inputs`): settings, response, weights, offset, the parameters'
   designs;
2. **model** (:func:`build_model`): the family's hand-written fast path where it covers
   the request, else the generic engine (``_engine.FamilyModel``: any family, a link and
   a design per parameter);
3. **sums** (``_sums.InMemorySums``): the intercept column is implicit, ``X`` is never
   copied;
4. **start** (:func:`start`, :func:`warm_start`): the intercept-only fit, then on large
   data a Newton fit on a subsample (``n/32`` rows) whose Hessian lets the full passes be
   gradient-only until the last;
5. **checks**: the design's rank (for free from a well-conditioned curvature block), the
   existence of the MLE (``_diagnostics``: separation, counts at a bound, parameters
   running to an edge of their domain);
6. **solve**: exact least squares (Normal-identity) or a linear program (Laplace), else
   Newton with a line search (``solver.newton``), proximal Newton for L1;
7. **inference** (:mod:`._inference`): information, covariance, deviance, null model →
   :class:`~mlekit.regression._results.RegressionResult`.

**Separable dispersion** (in memory). A family whose mean's score does not involve its
dispersion (an exponential dispersion model: Tweedie at a fixed power) may declare
``family.separable_mean_model(link, fixed, y, w)``, a one-slot row model of the mean
alone (the unit deviance over a constant scale, no normalising series), and
``family.dispersion_fit(y, w, mu, power)`` (the 1-D MLE of φ at the fitted means:
``(log φ̂, NLL, its curvature in log φ)``). When the generic model is the mean on ``X``
and φ on an intercept (log link), with no prior, no censoring, ``engine="auto"`` and
observed information, stages 3–6 run on the mean's model, then φ is fitted once
(:func:`_separable_dispersion`) and the two are put together as the joint MLE: the
log-likelihood is the family's, and the observed information is block-diagonal up to
the cross term ``−∇_β NLL`` (zero at the MLE), which is kept. Inference (stage 7) then
runs on the generic model as usual; the null model is fitted the same way. The generic
joint fit (``engine="generic"``) gives the same estimates (``tests/regression/
test_tweedie_fast_path.py``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError, NotImplementedForFamily
from ..families._rowmodel import RowModel
from ._censored import is_censored
from ._diagnostics import check_finite_matrix, check_separation
from ._engine import build_family_model, regressable
from ._inference import covariance, deviance, information, null_model
from ._inputs import Settings, check_y_range
from ._least_squares import (
    all_finite,
    check_design_rank,
    cholesky_ls,
    gram32_safe,
    gram_rhs,
    hessian_proves_rank,
    qr_ls,
    weighted_design,
    weighted_rss,
)
from ._models import has_fast_path, make_model
from ._results import RegressionResult
from ._sums import InMemorySums, _single_threaded_blas
from .solver import SolverResult, newton, prox_newton

__all__ = ["Fitted", "build_model", "finish", "fit_in_memory", "penalties", "solve",
           "start", "warm_fit", "warm_rows"]

_WARM_FRACTION = 32       # the subsample warm start uses m = max(n / 32, 10000, 40 P) rows
_WARM_MIN_ROWS = 10_000   # … and runs when n >= 8 m (so it costs at most 1/8 of a pass
_WARM_ROWS_PER_PARAM = 40  #   per subsample iteration)
_WARM_HESSIAN_FRACTION = 8  # the warm start's Hessian comes from every 8th chunk
_GRAM32_MIN_WORK = 1e9      # without a warm start, single precision only when n P² >= this


@dataclass
class Fitted:
    """What a fit produces: the result, the row model and ``θ̂``, and the class labels."""

    result: RegressionResult
    model: RowModel
    theta: np.ndarray
    n_iter: int
    classes: np.ndarray | None = None
    #: the solver's last Hessian of the NLL without the prior (a warm start's ``start_hess``
    #: for the next fit along a regularisation path), or None
    hess: np.ndarray | None = None


# ---------------------------------------------------------------------- the model
def build_model(settings: Settings, n_classes: int | None = None,
                designs: Mapping[str, Any] | None = None, censored: bool = False) -> RowModel:
    """The row model: a family's hand-written fast path where it covers the request
    (a link on the mean, intercept-only nuisances), else the generic engine (always for
    a ``censored`` response: the fast paths read y as exact values)."""
    from ..errors import did_you_mean

    fam = settings.family
    cls = fam.row_model
    accepts = set() if cls is None else {f.name for f in dataclasses.fields(cls)}
    opts: dict[str, Any] = {}
    if "n_classes" in accepts:  # (a model over the classes seen: Categorical, Ordinal)
        opts["n_classes"] = n_classes
    if settings.heteroscedastic:
        if "heteroscedastic" not in accepts:
            raise DataError(f"heteroscedastic=True is available for the Normal family only "
                            f"(not {fam.title}); for any family, model a parameter with "
                            "designs={name: Z} (or a formula per parameter)")
        opts["heteroscedastic"] = True
    engine = settings.engine
    if engine not in ("auto", "generic", "fast"):
        raise did_you_mean(engine, ("auto", "generic", "fast"), what="engine")
    simple = (settings.link is None or isinstance(settings.link, str)) and not designs
    # a vector-valued family (softmax classes) has only its fast path
    only_fast = "n_classes" in accepts
    if censored and (only_fast or settings.heteroscedastic or engine == "fast"):
        raise NotImplementedForFamily(
            f"a censored response needs the generic engine; {fam.title} "
            + ("has only its fast path (class labels are not censored)" if only_fast else
               "with heteroscedastic=True or engine='fast' does not give it: model sigma "
               "with designs={'sigma': Z} and leave engine='auto'"))
    if not censored and (engine == "fast" or (engine == "auto" and simple and has_fast_path(fam))
                         or only_fast or settings.heteroscedastic):
        return make_model(fam, settings.link, settings.fixed, **opts)
    model = build_family_model(fam, settings.link, settings.fixed, designs,
                               information="observed")
    if censored:
        model.censored = True
    return model


def penalties(settings: Settings, sums: Any, model: RowModel
              ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(prior, l1)``: the ridge precisions and lasso rates per coefficient (slopes of
    the mean only, never an intercept), or None where the setting is 0. With L1 alone
    the prior is zeros (a MAP fit: no identifiability checks)."""
    def per_slope(value: float) -> np.ndarray | None:
        if not value:
            return None
        out = np.zeros(sums.n_params)
        for j in range(len(model.mean_slots)):
            a, b = sums.starts[j], sums.starts[j + 1]
            out[a + (1 if settings.fit_intercept else 0): b] = float(value)
        return out

    prior, l1 = per_slope(settings.alpha_l2), per_slope(settings.alpha_l1)
    if model.exact == "linear program" and (prior is not None or l1 is not None):
        raise NotImplementedForFamily(
            f"priors are not available for {model.family.title} regression, which is "
            "solved exactly as a linear program")
    if l1 is not None and prior is None:
        prior = np.zeros(sums.n_params)
    return prior, l1


# ---------------------------------------------------------------------- start values
def start(settings: Settings, sums: Any, model: RowModel, y: np.ndarray,
          w: np.ndarray | None, aux: dict, offset_mean: float | None = None) -> np.ndarray:
    r"""Starting coefficients: the intercept-only fit of every slot (``model.init_eta``).

    The intercept-only start ignores the offset, so its weighted mean is removed from
    the mean's intercept (``offset_mean``: given by a backend that computes it itself).
    Without an intercept, ``θ = 0`` puts every ``η`` at 0, which may lie outside the
    domain of some links (the inverse link's ``μ = ∞``): then the coefficients whose
    ``η`` is closest to the intercept-only start, by least squares on the first rows.
    """
    ww = np.broadcast_to(1.0, y.shape) if w is None else w  # no (n,) array of ones
    first = model.init_eta(y, ww, aux)
    theta0 = np.zeros(sums.n_params)
    for j, s in enumerate(model.slots):
        if s.design == "1" or settings.fit_intercept:
            theta0[sums.starts[j]] = first[j]
    if settings.fit_intercept:
        if offset_mean is None and sums.offset is not None:
            offset_mean = float(np.sum(ww * sums.offset) / np.sum(ww))
        if offset_mean is not None:
            theta0[0] -= offset_mean
    if not settings.fit_intercept and isinstance(sums, InMemorySums) and sums.n:
        k = min(sums.n, 4096)
        sl = slice(0, k)
        with np.errstate(all="ignore"):
            nll0, _, _ = model.rows(y[sl], sums.eta(theta0, sl), sums._aux(sl), order=0)
        if not np.all(np.isfinite(nll0)):
            for j, s in enumerate(sums.slots):
                if s.design != "X":
                    continue
                D = s.take(sums.X[sl])
                if D.shape[1]:
                    b = np.linalg.lstsq(D, np.full(k, first[j]), rcond=None)[0]
                    theta0[sums.starts[j]:sums.starts[j + 1]] = b
    return theta0


def warm_rows(n: int, n_params: int) -> int | None:
    """Rows of the warm-start subsample for ``n`` rows, or None (too few to gain)."""
    m = max(n // _WARM_FRACTION, _WARM_MIN_ROWS, _WARM_ROWS_PER_PARAM * n_params)
    return None if n < 8 * m else m


def warm_fit(settings: Settings, sub: InMemorySums, theta0: np.ndarray, names: list[str],
             model: RowModel, full_weight: float, classes: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray] | None:
    """Newton on the subsample ``sub``: its MLE and its Hessian scaled to the full
    weight, or None (see :func:`warm_start`); also used by the Dask backend."""
    from ..errors import SeparationError

    if model.classification:
        try:  # (on at most 32,768 of its rows: a clean part proves the whole clean)
            check_existence(settings, sub.X[:32_768], sub.y[:32_768], names, model, classes)
        except SeparationError:
            return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # an approximate MLE suffices: it lies sqrt(n/m) standard errors from the
            # full one anyway; the stop at λ² <= 1 (within one standard error of the
            # subsample's MLE) and the polishing step save a pass or two
            res = newton(sub, theta0, max_iter=50, tol=1e-2, fallback=False,
                         decrement_tol=1.0)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return None
    if not res.converged or not np.all(np.isfinite(res.theta)) or res.hess is None:
        return None
    return res.theta, res.hess * (full_weight / sub.sum_weights)


def warm_start(settings: Settings, sums: InMemorySums, theta0: np.ndarray, names: list[str],
               model: RowModel, classes: np.ndarray | None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple] | None:
    r"""The MLE on a subsample of the rows (large n only), a Hessian there for the
    solver, the subsample's own float64 Hessian (for the rank check) and the solver's
    first pass ``(f, ∇f, None)`` at that MLE; or None.

    With ``m`` of the ``n`` rows the subsample estimate lies ``O(sqrt(n/m))``
    standard errors from the full one, and its Hessian, scaled by ``Σw / Σw_sub``,
    is within a few per cent of the full Hessian there. The solver then needs no
    full ``Dᵀ W D`` pass until the solution: it takes approximate-Hessian steps
    with exact gradients (cheap passes) and computes the exact Hessian once, at the
    end (``solver.newton``, ``hess0``). With ``m = n / 32`` the subsample fit costs
    a fraction of one full pass; the Hessian handed to the solver is then re-estimated
    at the subsample MLE from every 8th chunk of all rows (a sampling error ~2x
    smaller: the solver's linear rate, measured 0.02 at 1e6 x 50).

    For classifiers the single-column separation check runs here on the subsample:
    a column that separates the classes in all rows separates them in every subset,
    so a clean subsample proves the full data clean (otherwise None is returned and
    the full check runs). Returns None when the subsample fit fails (separation in
    the subsample, a singular subsample design …): the fit then starts from ``theta0``.
    """
    m = warm_rows(sums.n, sums.n_params)
    if m is None:
        return None
    # every k-th row from a seeded random offset (the rows' order only matters if it
    # repeats with period k exactly, and then only for speed: the full passes
    # correct the start); copied (3% of X), as the small fit reads them several
    # times: Hessian passes over a strided view measured 2x slower per row
    rng = np.random.default_rng(0)
    step = sums.n // m
    warm = warm_fit(settings, sums.subsample(np.arange(rng.integers(step), sums.n, step)),
                    theta0, names, model, sums.sum_weights, classes)
    if warm is None:
        return None
    # the solver's linear rate is the relative error of its Hessian, ~ sqrt(P / rows):
    # the solver's first pass (the gradient at the subsample MLE) also forms the
    # Hessian of every 8th chunk (single precision; no extra read of X), which
    # halves it (measured 0.04 -> 0.02 at 1e6 x 50), saving a gradient pass or two
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f, g, h = sums.nll_grad_hess(warm[0], hessian=False, value=False,
                                     sample_every=_WARM_HESSIAN_FRACTION)
    if h is None or not np.all(np.isfinite(h)):
        h = warm[1]
    return warm[0], h, warm[1], (f, g, None)


# ---------------------------------------------------------------------- existence
def check_existence(settings: Settings, D: np.ndarray, y: np.ndarray, names: list[str],
                    model: RowModel, classes: np.ndarray | None, lp: bool = False,
                    w: np.ndarray | None = None, aux: dict | None = None,
                    penalised: bool = False, columns: bool = True) -> None:
    """Raise NoMaximumError (SeparationError for classes and binomial data) if the MLE
    does not exist (``_diagnostics``, module docstring).

    ``D`` is X without the intercept column (``settings.fit_intercept`` adds it) and
    ``names`` name its columns; ``w`` are the sample weights (zero-weight rows do not
    count), ``aux`` the per-row data (Binomial ``trials``). Screens: every y at a
    bound; one column non-zero only on rows at a bound (``columns``); with ``lp``
    the exact linear program over combinations. ``penalised``: a prior covers the
    slopes, so only the intercept (every y at one bound) can run off.
    """
    from ._diagnostics import check_existence as _check
    from ._diagnostics import existence_boundary

    icpt = settings.fit_intercept
    if not penalised:
        model.check_existence(D, y, w, names)
    if getattr(model, "censored", False):  # (the screens read y as exact values; the
        return  # censored data's own no-maximum rules ran in the unconditional start)
    if penalised or not columns:
        if not icpt:
            return
        D, names, lp = D[:, :0], [], False  # the y-only screen
    bd = existence_boundary(model)
    if bd is not None and not bd.upper:  # Bernoulli-log: y = 1 is not at infinity
        _check(D, y, names, icpt, bd, w=w, lp=lp)
        return
    if bd is not None and not model.classification:  # Binomial, Poisson, NB
        upper = None if aux is None else aux.get("trials")
        _check(D, y, names, icpt, bd, w=w, upper_at=upper, lp=lp)
        return
    if not model.classification:
        return
    if lp:  # the LP needs the design with its intercept column
        D = np.column_stack([np.ones(D.shape[0]), D]) if icpt else D
        names = (["Intercept"] if icpt else []) + list(names)
    if len(model.mean_slots) == 1:
        check_separation(D, y, names, icpt, lp=lp, w=w)
        return
    labels = []
    for k in range(len(model.mean_slots) + 1):
        lab = classes[k] if classes is not None else k
        lab = lab.item() if hasattr(lab, "item") else lab
        labels.append(lab)
        check_separation(D, (y == k).astype(float), names, icpt,
                         what=f"y == {lab!r}", lp=lp, w=w)
    if lp:  # no class apart from the rest: pairs of classes (the exact multinomial LP)
        from ..errors import SeparationError
        from ._diagnostics import multinomial_direction

        keep = slice(None) if w is None else w > 0
        B = multinomial_direction(D[keep], y[keep], len(labels))
        if B is not None:
            sd = D.std(axis=0)
            score = np.abs(B) * sd[None, :]
            k, j = np.unravel_index(int(np.argmax(score)), score.shape)
            cols = [names[c] for c in np.flatnonzero(score.max(0) > 1e-6 * score.max())]
            raise SeparationError(
                f"the classes of y are separated by a combination of columns led by "
                f"{names[j]!r} (involving {', '.join(map(repr, cols))}), which sets "
                f"y == {labels[k]!r} apart from some other class: the maximum-likelihood "
                "estimate does not exist (its coefficients run off to infinity). Drop "
                "or merge the separating column(s) or classes, or fit the MAP with a "
                "prior (alpha_l2 > 0)"
            )


# ---------------------------------------------------------------------- exact solves
def least_squares(sums: InMemorySums, model: RowModel, y: np.ndarray, off: np.ndarray | None,
                  gram: np.ndarray | None = None, rhs: np.ndarray | None = None
                  ) -> tuple[SolverResult, np.ndarray | None]:
    r"""Gaussian identity: exact weighted least squares; ``(result, σ̂² (DᵀWD)⁻¹ or None)``.

    Well-conditioned designs (the usual case) are solved from the normal equations
    ``G β = Dᵀ W t`` with ``G = Dᵀ W D`` (one chunked pass, symmetric rank-k BLAS
    updates): Cholesky of the Jacobi-scaled ``G``, then one step of iterative refinement
    on the true residual (a second pass). The rounding error of this route grows like
    ``κ(D)² ε``; LAPACK's condition estimate of the scaled ``G`` (``dpocon``) decides
    whether it is safe: if ``κ(G) > 10⁶`` (digits would be lost) the fit switches to
    column-pivoted Householder QR of the scaled design with refinement of the augmented
    system in doubled precision (:func:`~._least_squares.qr_ls`), which recovers
    ill-conditioned problems: NIST StRD coefficients and standard errors to >= 13 digits
    (Longley 14.6, Wampler5 14.5); Filip (κ = 5e9) to 7.6, the limit set by the rounding
    of its powers ``x^k`` in the design, whose own exact solution is matched to >= 12
    (``tests/regression/test_nist.py``). σ̂ = sqrt(Σ w r² / Σ w) (the MLE); on the QR
    path ``Σ w r²`` comes from the refined residual, and the coefficients' covariance
    ``σ̂² (Dᵀ W D)⁻¹`` (returned) from the triangular factor.
    """
    t_all = y - (0.0 if off is None else off)
    beta, unit_cov, method = None, None, "least squares (Cholesky, refined)"
    if gram is not None and rhs is not None:
        beta = cholesky_ls(sums, gram, rhs, t_all)
    if beta is None:
        (beta, unit_cov), rss = qr_ls(sums.design_rows(), t_all, sums.w)
        method = "least squares (QR)"
    else:
        rss = weighted_rss(sums, beta, t_all)
    sigma = np.sqrt(rss / sums.nobs)
    theta = beta.copy()
    if "sigma" not in model.fixed:
        if sigma <= 0:
            sigma = np.finfo(float).tiny ** 0.25
        theta = np.append(theta, np.log(sigma))
    else:
        sigma = float(model.fixed["sigma"])
    f, g, h = sums.nll_grad_hess(theta)
    return (SolverResult(theta, f, g, h, 1, True, method),
            None if unit_cov is None else sigma**2 * unit_cov)


def least_absolute(sums: InMemorySums, model: RowModel, y: np.ndarray,
                   off: np.ndarray | None) -> tuple[SolverResult, float]:
    r"""Laplace-identity (median regression): minimise Σ w_i |y_i - x_iᵀβ| exactly;
    ``(result, Σ w |r|)``.

    Linear program (HiGHS): variables (β, u⁺, u⁻ ≥ 0) with ``Xβ + u⁺ - u⁻ = y - offset``,
    minimise ``Σ w (u⁺ + u⁻)``. Then the MLE of the scale is ``b = Σ w|r| / Σ w``.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    D = sums.design_rows()
    n, p = D.shape
    ww = np.ones(n) if sums.w is None else sums.w
    t = y - (0.0 if off is None else off)
    eye = sparse.identity(n, format="csr")
    A = sparse.hstack([sparse.csr_matrix(D), eye, -eye], format="csr")
    c = np.concatenate([np.zeros(p), ww, ww])
    bounds = [(None, None)] * p + [(0, None)] * (2 * n)
    res = linprog(c, A_eq=A, b_eq=t, bounds=bounds, method="highs")
    if res.status != 0:
        raise DataError(f"the median-regression linear program failed: {res.message}")
    beta = res.x[:p]
    sad = float(np.sum(ww * np.abs(t - D @ beta)))
    theta = beta.copy()
    free = [nm for nm in model.nuisance_names if nm not in model.fixed]
    if free:
        theta = np.append(theta, np.log(max(sad / float(np.sum(ww)), 1e-300)))
    f, g, h = sums.nll_grad_hess(theta)
    nit = int(res.nit) if getattr(res, "nit", None) else 1  # (HiGHS may not report it)
    return SolverResult(theta, f, g, h, nit, True, "linear program (HiGHS)"), sad


# ---------------------------------------------------------------------- solve
def solve(settings: Settings, sums: Any, theta0: np.ndarray, prior: np.ndarray | None,
          l1: np.ndarray | None, first: tuple | None = None,
          hess0: np.ndarray | None = None) -> tuple[SolverResult, list]:
    """Newton from ``theta0`` (or proximal Newton with ``l1``); the solver's warnings are
    returned, not shown, so that the caller replays them only when the fit stands."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if l1 is not None:
            res = prox_newton(sums, theta0, l1, prior=prior if np.any(prior) else None,
                              max_iter=settings.max_iter, tol=1e-2 * settings.tol)
        else:
            res = newton(sums, theta0, prior=prior, max_iter=settings.max_iter,
                         tol=settings.tol, first_pass=first, hess0=hess0)
    return res, list(caught)


def replay(caught: list) -> None:
    """Show the warnings :func:`solve` recorded."""
    for wm in caught:
        warnings.warn_explicit(wm.message, wm.category, wm.filename, wm.lineno)


def finish(settings: Settings, sums: Any, model: RowModel, res: SolverResult,
           prior: np.ndarray | None, *, coef_names: list[str], nobs: float, n_rows: int,
           y_head: np.ndarray, w_head: np.ndarray | None, aux_head: dict,
           pandas_names: bool, slot_names: list[list[str]] | None = None,
           unit_cov: np.ndarray | None = None, with_null: bool = True,
           ones: list[int] | None = None) -> RegressionResult:
    """Inference at the solution: information, covariance, llf, deviance, null model.

    ``y_head``, ``w_head``, ``aux_head`` are every row in memory, or the first chunk of
    a backend that keeps its rows elsewhere (used for probes and the null model's start).

    The dispersion convention (:func:`._inference.dispersion_convention`): under
    ``"pearson"`` the mean coefficients' block of the covariance is multiplied by
    ``ρ = φ̂_P / φ̂_ML`` (:func:`._inference.pearson_ratio`) and their covariances with the
    nuisances by ``sqrt(ρ)`` (zero at the MLE anyway); a sandwich is left as it is (it
    does not depend on φ; the cluster-robust and HAC ones neither). ``llf`` stays the
    maximised log-likelihood. ``result.cov_type`` names the covariance
    (:func:`._inference.cov_label`: ``"cluster (G groups, CR1)"``, ``"HAC (maxlags = L,
    Bartlett)"``). A least-squares
    fit also gets R², adjusted R² and F (:func:`._inference.least_squares_fit`).
    """
    from ._inference import cov_label, dispersion_convention, least_squares_fit, pearson_ratio

    theta = res.theta
    hp = information(settings, sums, model, res, prior)
    # Newton's last F is the penalised NLL at θ̂ (to O(λ³) after its polishing step):
    # the NLL is F less the prior's ½θᵀΛθ, with no pass over the rows
    nll_hat = None
    if res.method == "newton":
        nll_hat = res.fun - (0.0 if prior is None else 0.5 * float(theta @ (prior * theta)))
    llf = -nll_hat if nll_hat is not None else -sums.nll(theta)
    with _single_threaded_blas():  # (P, P) algebra: see solver.inner_solve
        cov = covariance(settings, sums, model, theta, hp, nobs, unit_cov)
    n_mean = int(sums.starts[len(model.mean_slots)])
    df_resid = float(nobs - n_mean)
    in_memory = isinstance(sums, InMemorySums)
    ls = unit_cov is not None or res.method.startswith("least squares")
    convention = dispersion_convention(settings, model, prior is not None, df_resid)
    decl = model.family.dispersion_parameter
    scale = None
    if decl is not None and (convention == "pearson" or prior is None):
        j = next((j for j, s in enumerate(model.slots) if s.nuisance == decl[0]), None)
        if decl[0] in model.fixed:
            scale = float(model.fixed[decl[0]]) ** decl[1]
        elif j is not None and model.slots[j].design == "1":
            scale = float(model.nuisance_values(
                np.array([[theta[sums.starts[k]] for k in range(len(model.slots))]])
            )[decl[0]][0]) ** decl[1]
    if convention == "pearson":
        rho = pearson_ratio(sums, model, theta, df_resid, nobs if ls else None)
        scale = None if scale is None else rho * scale
        if settings.cov_type == "nonrobust":
            cov = cov.copy()
            cov[:n_mean, :n_mean] *= rho
            cov[:n_mean, n_mean:] *= np.sqrt(rho)
            cov[n_mean:, :n_mean] *= np.sqrt(rho)
    gof = None
    if (ls or model.exact == "least squares") and prior is None and sums.offset is None:
        gof = least_squares_fit(sums, model, theta, df_resid, settings.fit_intercept,
                                y_head if in_memory else None,
                                w_head if in_memory else None)
    dev, sat_sum = deviance(sums, model, res, y_head, aux_head, nll_hat)
    llnull = null_dev = None
    if with_null:
        llnull, null_dev = null_model(settings, sums, model, y_head, w_head, aux_head,
                                      sat_sum, theta=theta, ones=ones)
    return RegressionResult(
        model=model, coef_names=coef_names, theta=theta, cov_theta=cov, llf=llf,
        nobs=nobs, n_rows=n_rows, converged=res.converged, method=res.method,
        n_iter=res.n_iter, cov_type=cov_label(settings), deviance=dev, null_deviance=null_dev,
        llnull=llnull, penalised=prior is not None, pandas_names=pandas_names,
        slot_starts=sums.starts, slot_names=slot_names, dispersion=convention,
        scale=scale, information_kind=model.information_kind or settings.information,
        least_squares=gof,
    )


# ---------------------------------------------------------------------- separable
def _separable_model(settings: Settings, model: RowModel, aux: dict, y: np.ndarray,
                     w: np.ndarray | None) -> RowModel | None:
    """The family's row model of the mean alone (``family.separable_mean_model``) when
    the fit qualifies for the separable route (see the module docstring), else None."""
    from ._engine import FamilyModel

    fam = model.family
    if (not isinstance(model, FamilyModel) or is_censored(aux)
            or settings.engine != "auto" or settings.information != "observed"
            or settings.alpha_l1 or settings.alpha_l2 or model.parametrisation is not None
            or model.information != "observed"):
        return None
    slots = model.slots
    if (len(slots) != 2 or slots[0].design != "X" or slots[0].columns is not None
            or slots[0].nuisance is not None or slots[1].design != "1"
            or slots[1].transform != "log" or slots[1].nuisance is None):
        return None
    return fam.separable_mean_model(model.link, dict(model.fixed), y, w)


def _separable_dispersion(sums: InMemorySums, joint: RowModel, mean_model: Any,
                          res: SolverResult, y: np.ndarray, w: np.ndarray | None
                          ) -> tuple[InMemorySums, SolverResult]:
    r"""φ̂ at the means of the mean's fit ``res``, and the joint solution on ``joint``'s sums.

    With the mean's NLL :math:`D(\beta)/\phi_0` (``mean_model.scale`` = φ₀), the joint NLL
    is :math:`D(\beta)/\phi + c(y, \phi)`, so at ``u = log φ̂``: the β-gradient and
    Hessian are the mean fit's times :math:`\phi_0/\hat\phi`, the (β, u) block is
    minus that gradient (zero at the MLE), and ``(u, u)`` and the NLL come from
    ``family.dispersion_fit`` (the family's log-likelihood, not the deviance)."""
    from ..errors import ConvergenceWarning

    fam = joint.family
    theta_b = res.theta
    mu = mean_model.mean(sums.eta(theta_b))
    out = fam.dispersion_fit(y, w, mu, float(mean_model.power))
    joint_sums = sums.with_model(joint)
    if out is None:  # (no finite dispersion fit: the joint Newton from the mean's fit)
        warnings.warn(f"{fam.title} regression: the dispersion fit at the fitted means did "
                      "not converge; the mean and the dispersion are fitted jointly",
                      ConvergenceWarning, stacklevel=3)
        theta0 = np.append(theta_b, 0.0)
        return joint_sums, newton(joint_sums, theta0, max_iter=200, tol=1e-8)
    u, nll, huu = out
    r = mean_model.scale / float(np.exp(u))
    P = theta_b.size
    g = np.append(res.grad * r, 0.0)
    h = np.zeros((P + 1, P + 1))
    h[:P, :P] = res.hess * r
    h[:P, P] = h[P, :P] = -res.grad * r
    h[P, P] = huu
    return joint_sums, SolverResult(np.append(theta_b, u), nll, g, h, res.n_iter,
                                    res.converged, res.method)


def _separable_null(settings: Settings, mean_sums: InMemorySums, joint: RowModel,
                    mean_model: Any, y: np.ndarray, w: np.ndarray | None,
                    ones: list[int] | None) -> tuple[float | None, float | None]:
    """``(llnull, null deviance)`` of the separable route: the null model's mean by its
    deviance (μ̂₀ = ȳ_w with an intercept and no offset: the score Σ w (y − μ) g⁻¹'/V
    vanishes there for any link), then φ̂₀ for llnull; the null deviance is
    Σ w d(y, μ̂₀) with the family's unit deviance (free of φ)."""
    icpt = settings.fit_intercept
    null = mean_sums.restrict([0] if icpt else list(ones or []))
    if icpt and null.offset is None:
        total = float(y.size if w is None else np.sum(w))
        mu0 = np.full(y.shape, float((np.sum(y) if w is None else w @ y) / total))
    elif null.n_params:
        theta0 = np.zeros(null.n_params)
        theta0[0] = mean_model.init_eta(y, np.ones(y.shape) if w is None else w, {})[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                nres = newton(null, theta0, max_iter=200, tol=1e-10)
            except Exception:
                return None, None
        mu0 = mean_model.mean(null.eta(nres.theta))
    else:
        mu0 = mean_model.mean(null.eta(np.zeros(0)))
    power = float(mean_model.power)
    out = joint.family.dispersion_fit(y, w, mu0, power)
    d = joint.family.unit_deviance(y, mu=mu0, power=power)
    null_dev = None if d is None else float(np.sum(d) if w is None else w @ d)
    return (None if out is None else -out[1]), (
        null_dev if null_dev is not None and np.isfinite(null_dev) else None)


# ---------------------------------------------------------------------- in memory
def slot_names_of(model: RowModel, names: list[str], terms: list[str],
                  intercept: bool) -> list[list[str]] | None:
    """Each slot's coefficient names when some parameter has its own design, else None;
    a DataError names a parameter whose design is empty."""
    if not any(sl.columns is not None for sl in model.slots):
        return None
    icpt = ["Intercept"] if intercept else []
    out = [icpt + ([terms[c] for c in sl.columns] if sl.columns is not None else list(names))
           if sl.design == "X" else ["Intercept"] for sl in model.slots]
    for sl, t in zip(model.slots, out, strict=True):
        if sl.design == "X" and not t:
            raise DataError(f"the design of {sl.name!r} is empty (no columns and no "
                            "intercept): give it columns or fit_intercept=True")
    return out


def _check_slot_ranks(settings: Settings, sums: InMemorySums, model: RowModel,
                      slot_names: list[list[str]]) -> None:
    """The design's rank check on each parameter's own design (the names say which)."""
    icpt = int(settings.fit_intercept)
    for j, sl in enumerate(model.slots):
        if sl.design != "X":
            continue
        cols = list(range(sums.X.shape[1])) if sl.columns is None else list(sl.columns)
        sub = sums.restrict([0] * icpt + [c + icpt for c in cols])
        check_design_rank(sub, [f"{sl.name}: {t}" for t in slot_names[j]])


def fit_in_memory(settings: Settings, Xc: np.ndarray, Xm: np.ndarray, names: list[str],
                  y: np.ndarray, classes: np.ndarray | None, w: np.ndarray | None,
                  off: np.ndarray | None, aux: dict, spec: Mapping[str, Any],
                  terms: list[str], pandas_names: bool,
                  start_at: np.ndarray | None = None,
                  start_hess: np.ndarray | None = None) -> Fitted:
    """The whole fit on arrays in memory.

    ``Xc`` is the combined design ``[X, Z_1 …]`` (:func:`._inputs.combine_designs`), ``Xm``
    the mean's ``X`` (the existence screens read it), ``names`` its columns, ``terms``
    all of ``Xc``'s; ``y`` the checked response (class codes with ``classes``), ``w``,
    ``off``, ``aux`` from :mod:`._inputs`; ``spec`` the parameters' designs;
    ``start_at`` a start ``θ`` of the right length (a warm start along a
    regularisation path, :class:`~mlekit.regression._cv.RegressionCV`) in place of
    the intercept-only one; ``start_hess`` the NLL's Hessian near it (the previous fit's
    ``Fitted.hess``): a penalised fit then starts with gradient-only passes, the solver's
    approximate-Hessian mode (the rank check is not needed: the prior makes the
    Hessian positive definite).
    """
    fam = settings.family
    if not has_fast_path(fam):  # (a multivariate family: said before y is read)
        regressable(fam)
    n = Xc.shape[0]
    model = build_model(settings, len(classes) if classes is not None else None, spec,
                        censored=is_censored(aux))
    y = model.check_y(y, aux)
    check_y_range(y, w, model)
    icpt = settings.fit_intercept
    coef_names = (["Intercept"] if icpt else []) + names
    slot_names = slot_names_of(model, names, terms, icpt)
    # a dispersion that separates from the mean: the mean alone first (see the docstring)
    joint, model = model, _separable_model(settings, model, aux, y, w) or model
    # the intercept column is implicit: X is never copied (InMemorySums)
    sums = InMemorySums(Xc, y, model, w, off, aux, intercept=icpt)
    if slot_names is not None:  # each parameter's design is checked on its own
        _check_slot_ranks(settings, sums, model, slot_names)
    if sums._cum is not None and warm_rows(n, sums.n_params) is not None:
        sums.finite_names = names  # checked in the first pass (InMemorySums)
    elif not all_finite(Xc):
        check_finite_matrix(Xc, terms)  # names the column and row
    n_mean = sum(sums.sizes[: len(model.mean_slots)])
    prior, l1 = penalties(settings, sums, model)
    n_eff = n if w is None else int(np.count_nonzero(w))
    if n_eff < sums.n_params and prior is None:
        raise DataError(
            f"too few rows: n_samples = {n_eff} (with non-zero weight) for {sums.n_params} "
            f"parameters ({n_mean} coefficients): a maximum-likelihood fit needs at "
            "least as many rows as parameters (or a prior: alpha_l2 > 0)"
        )
    theta0 = start(settings, sums, model, y, w, aux)
    if start_at is not None and np.shape(start_at) == theta0.shape \
            and np.all(np.isfinite(start_at)):
        theta0 = np.array(start_at, dtype=float)
    if is_censored(aux) and prior is None and l1 is None:
        from ._censored import check_censored_existence

        check_censored_existence(model, Xm, names, icpt, aux, w,
                                 lambda i: sums.eta(theta0, slice(i, i + 1)))
    exact = model.exact if prior is None and l1 is None else None
    warm = None
    if exact is None and l1 is None and prior is None:
        warm = warm_start(settings, sums, theta0, names, model, classes)
    if warm is not None:
        theta0 = warm[0]
        sums.gram32 = gram32_safe(warm[2], sums.p, sums.sum_weights)

    # rank check on the design D (weighted by the rows' weights only, never by the
    # likelihood's curvature, which may be indefinite away from the optimum: Normal
    # with a log link). A positive definite, well-conditioned Hessian block D'HD
    # (H > 0) proves D full rank for free: the subsample's when the warm start ran
    # (a full-rank subset of the rows proves the whole), else the first pass's.
    # Only if that screen fails is D'WD formed (one pass) and, if it too looks
    # deficient, the pivoted QR of the scaled design decides (check_rank)
    first = gram = rhs = None
    if exact is not None:  # the exact paths compute the weighted Gram
        from ._diagnostics import check_rank

        gram, rhs = gram_rhs(sums, y - (0.0 if off is None else off))
        with _single_threaded_blas():
            check_rank(gram, coef_names, design=lambda: weighted_design(sums))
    elif exact is None:
        b0 = int(sums.starts[1])  # the mean's block
        if warm is not None and prior is None:
            if not hessian_proves_rank(warm[2][:b0, :b0]):
                warm = None
        if warm is None and prior is not None and start_hess is not None \
                and np.shape(start_hess) == (theta0.size, theta0.size) \
                and np.all(np.isfinite(start_hess)):
            sums.check_finite()
            warm = (theta0, np.asarray(start_hess, float), None, None)
        elif warm is None:
            sums.check_finite()  # before the full-data separation check below
            first = sums.nll_grad_hess(theta0)
            if prior is None and slot_names is None and \
                    not hessian_proves_rank(first[2][:b0, :b0]):
                check_design_rank(sums, coef_names)
            if n * sums.n_params**2 >= _GRAM32_MIN_WORK:  # wide data, no warm start:
                # the Gram passes dominate; single precision where conditioning allows
                sums.gram32 = gram32_safe(first[2], sums.p, sums.sum_weights)
    # existence of the MLE: y at a bound of the family (every y, or the rows of a
    # column); with a prior or after a warm start only the y-only screen (O(n))
    check_existence(settings, Xm, y, names, model, classes, w=w, aux=aux,
                    penalised=prior is not None,
                    columns=warm is None or not model.classification)

    unit_cov, extra = None, {}
    caught: list = []
    if exact == "linear program":
        res, sad = least_absolute(sums, model, y, off)
        extra["Sum |residuals|"] = sad
    elif exact == "least squares":
        res, unit_cov = least_squares(sums, model, y, off, gram, rhs)
    else:
        res, caught = solve(settings, sums, theta0, prior, l1,
                            first=first if warm is None else warm[3],
                            hess0=None if warm is None else warm[1])
        if l1 is None and prior is None and any(
                sl.nuisance is not None and sl.design == "X" for sl in model.slots):
            from ._diagnostics import check_parameter_divergence

            # a parameter run off to an edge of its domain on some rows (sigma -> 0 at
            # a perfect fit of those rows): named, before the solver's own warnings
            check_parameter_divergence(model, sums, res.theta, theta0, res.converged)
    from ._diagnostics import existence_boundary

    bd = existence_boundary(model)
    if prior is None and (model.classification or bd is not None):
        # trouble signs (no convergence, a mean within ~1e-10 of a bound): the exact LP
        signal = 25.0 if bd is None else bd.eta_signal
        if not res.converged or sums.max_abs_eta(res.theta, len(model.mean_slots)) > signal:
            check_existence(settings, Xm, y, names, model, classes, lp=True, w=w, aux=aux)
    if l1 is None and prior is None and model.edge is not None:
        from ._diagnostics import check_nuisance_edge

        # a nuisance run to the edge where the family is another (NB alpha -> 0), after
        # the existence checks (a diverging mean is the first thing to say)
        check_nuisance_edge(model, sums, res.theta, float(np.mean(y)))
    replay(caught)  # (a named NoMaximumError above supersedes the solver's warnings)

    ones = None if icpt else [j for j in range(Xc.shape[1])
                              if Xc[0, j] == 1.0 and np.all(Xc[:, j] == 1.0)]
    null = None
    if model is not joint:  # φ at the fitted means; then the joint model's inference
        mean_sums = sums
        sums, res = _separable_dispersion(sums, joint, model, res, y, w)
        null = _separable_null(settings, mean_sums, joint, model, y, w, ones)
        model = joint
    result = finish(settings, sums, model, res, prior, coef_names=coef_names,
                    nobs=sums.nobs, n_rows=n, y_head=y, w_head=w, aux_head=aux,
                    pandas_names=pandas_names, slot_names=slot_names, unit_cov=unit_cov,
                    ones=ones, with_null=null is None)
    if null is not None:
        result.llnull, result.null_deviance = null
        result.method = "newton (the mean by its deviance, then the dispersion)"
    if is_censored(aux):
        from ._censored import describe

        extra["Censored"] = describe(aux, w)
    result.extra_info.update(extra)
    from ._compare import data_fingerprint

    result.data_fingerprint = data_fingerprint(y, w, aux)
    hess = None
    if res.hess is not None and res.method == "newton":
        hess = res.hess - (0.0 if prior is None else np.diag(prior))
    return Fitted(result, model, res.theta, res.n_iter, classes, hess)


def coefficients(theta: np.ndarray, starts: np.ndarray, n_mean: int, intercept: bool
                 ) -> tuple[np.ndarray, float | np.ndarray]:
    """``(coef_, intercept_)`` in scikit-learn's layout: the mean slots' slopes, (p,) or
    (k-1, p) for several mean slots, and their intercepts (0.0 without one)."""
    blocks = np.stack([theta[starts[j]:starts[j + 1]] for j in range(n_mean)])
    if intercept:
        icpt, coef = blocks[:, 0], blocks[:, 1:]
    else:
        icpt, coef = np.zeros(n_mean), blocks
    if n_mean == 1:
        return coef[0].copy(), float(icpt[0])
    return coef.copy(), icpt.copy()
