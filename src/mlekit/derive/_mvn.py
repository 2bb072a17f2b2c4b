r"""The derivation for the multivariate normal, in matrix notation for any dimension d.

.. math::

    p(\mathbf{x};\boldsymbol\mu,\Sigma) = (2\pi)^{-d/2}|\Sigma|^{-1/2}
        \exp\!\big(-\tfrac12(\mathbf{x}-\boldsymbol\mu)^\top\Sigma^{-1}(\mathbf{x}-\boldsymbol\mu)\big)

    \mathrm{NLL}(\boldsymbol\mu,\Sigma) = \tfrac12\sum_{i=1}^m
        (\mathbf{x}_i-\boldsymbol\mu)^\top\Sigma^{-1}(\mathbf{x}_i-\boldsymbol\mu)
        + \tfrac m2\log|\Sigma| + \tfrac{md}2\log 2\pi

With Σ held fixed the loss is the squared Mahalanobis distance (a = 1/2); with
Σ = σ²I it is the squared error with a = 1/(2σ²). The score equations are
derived with SymPy's matrix calculus (``MatrixExpr.diff``) plus Jacobi's formula
∂ log|Σ|/∂Σ = Σ⁻¹; they give μ̂ = x̄ and Σ̂ = (1/m) Σ (xᵢ − x̄)(xᵢ − x̄)ᵀ, and the
Fisher information for μ is Σ⁻¹.

The quadratic form and log|Σ| are the scalar functions :class:`QuadForm` and
:class:`LogDet`: they print as (x − μ)ᵀΣ⁻¹(x − μ) and log|Σ| and evaluate
numerically by a linear solve and ``slogdet`` (rows of the data are the
observations), so the numeric NLL *is* the symbolic expression evaluated.

Imported only from inside :func:`mlekit.derive.derive` (it imports SymPy).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

from ..domains import Real
from ..errors import DerivationError, ParameterError, SupportError
from ._derivation import Derivation, Step
from ._display import ArgMin, hat

__all__ = ["LogDet", "MatrixDerivation", "QuadForm", "build_mvn_derivation", "is_mvn_like"]


class QuadForm(sp.Function):
    r"""The Mahalanobis quadratic form :math:`u^\top A^{-1} u` (a scalar)."""

    nargs = 2
    is_real = True

    def _form(self):
        u, a = self.args
        return sp.MatMul(sp.Transpose(u), sp.Inverse(a), u, evaluate=False)

    def _latex(self, printer):
        return printer._print(self._form())

    def _sympystr(self, printer):
        return printer._print(self._form())

    def _pretty(self, printer):
        return printer._print(self._form())

    def _mathml_presentation(self, printer):
        return printer._print(self._form())


class SqNorm(sp.Function):
    r"""The squared Euclidean norm :math:`\|u\|^2 = u^\top u` (a scalar)."""

    nargs = 1
    is_real = True

    def _latex(self, printer):
        return r"\left\|" + printer._print(self.args[0]) + r"\right\|^{2}"

    def _sympystr(self, printer):
        return "||" + printer._print(self.args[0]) + "||^2"

    def _pretty(self, printer):
        pf = printer._print(self.args[0])
        pf = prettyForm(*pf.left("‖"))
        return prettyForm(*pf.right("‖²"))

    def _mathml_presentation(self, printer):
        u = self.args[0]
        return printer._print(sp.MatMul(sp.Transpose(u), u, evaluate=False))


class LogDet(sp.Function):
    r""":math:`\log|A|` of a positive definite matrix (a scalar)."""

    nargs = 1
    is_real = True

    def _latex(self, printer):
        return r"\log\left|" + printer._print(self.args[0]) + r"\right|"

    def _sympystr(self, printer):
        return "log|" + printer._print(self.args[0]) + "|"

    def _pretty(self, printer):
        pf = printer._print(self.args[0])
        pf = prettyForm(*pf.parens("|", "|"))
        return prettyForm(*pf.left("log"))

    def _mathml_presentation(self, printer):
        return printer._print(sp.log(sp.Determinant(self.args[0])))


# ------------------------------------------------------------------ numerics
def _np_cov(a: Any) -> np.ndarray:
    a = np.asarray(a, float)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ParameterError(f"MultivariateNormal: cov must be a d x d matrix; got shape "
                             f"{a.shape}")
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ParameterError("MultivariateNormal: cov must be symmetric positive definite "
                             "(its Cholesky factorisation failed)") from None
    return a


def _np_quad(u: Any, a: Any) -> np.ndarray:
    """uᵀA⁻¹u along the last axis of u (one value per row)."""
    u = np.asarray(u, float)
    a = _np_cov(a)
    sol = np.linalg.solve(a, u[..., None])[..., 0]
    return np.sum(u * sol, axis=-1)


def _np_logdet(a: Any) -> np.ndarray:
    _sign, val = np.linalg.slogdet(_np_cov(a))
    return val


def _np_sqnorm(u: Any) -> np.ndarray:
    u = np.asarray(u, float)
    return np.sum(u * u, axis=-1)


_NP = [{"QuadForm": _np_quad, "LogDet": _np_logdet, "SqNorm": _np_sqnorm}, "numpy"]


def is_mvn_like(sd) -> bool:
    """A symbolic density with a d × 1 data vector, a d × 1 mean and a d × d covariance."""
    if not isinstance(sd.x, sp.MatrixSymbol):
        return False
    mats = [v for v in sd.params.values() if isinstance(v, sp.MatrixSymbol)]
    return (len(mats) == 2 and sorted(m.shape[1] == 1 for m in mats) == [False, True])


class MatrixDerivation(Derivation):
    r"""A :class:`Derivation` whose data and parameters are vectors and matrices.

    Numeric methods take the data as an (m, d) array (one row per observation),
    ``mean`` as a (d,) vector and ``cov`` as a (d, d) matrix.
    """

    def _fn(self, expr, key: str):
        if key not in self._cache:
            syms = self.symbols
            args = [syms["x"], syms["mu"], syms["Sigma"], syms["d"]]
            self._cache[key] = sp.lambdify(args, expr, modules=_NP)
        return self._cache[key]

    def _args(self, x: Any, params: dict[str, Any]):
        extra = set(params) - set(self.param_symbols)
        if extra:
            raise DerivationError(f"unknown argument(s) {', '.join(sorted(extra))}; this "
                                  "derivation takes mean, cov")
        mean_name, cov_name = self.param_symbols
        missing = [n for n in (mean_name, cov_name) if n not in params]
        if missing:
            raise DerivationError(f"missing value(s) for {', '.join(missing)}")
        x = Real.check(x, what="x", owner="MultivariateNormal", error=SupportError)
        mean = Real.check(params[mean_name], what=mean_name, owner="MultivariateNormal",
                          error=ParameterError)
        cov = Real.check(params[cov_name], what=cov_name, owner="MultivariateNormal",
                         error=ParameterError)
        cov = _np_cov(cov)
        if x.ndim < 1 or x.shape[-1] != mean.shape[-1] or cov.shape[-1] != mean.shape[-1]:
            raise ParameterError(
                f"MultivariateNormal: data {x.shape}, mean {mean.shape} and cov {cov.shape} "
                "must share the last dimension d")
        return x, mean, cov, int(mean.shape[-1])

    def _per_obs(self, expr, key: str, x: Any, params: dict[str, Any]) -> np.ndarray:
        x, mean, cov, dim = self._args(x, params)
        out = np.asarray(self._fn(expr, key)(x, mean, cov, dim), float)
        return np.broadcast_to(out, x.shape[:-1])

    def nll(self, x: Any, **params: Any) -> float:
        r""":math:`\sum_i [\tfrac12 (x_i-\mu)^\top\Sigma^{-1}(x_i-\mu) + \tfrac12\log|\Sigma|
        + \tfrac d2\log 2\pi]` at ``mean=`` and ``cov=`` (the symbolic term evaluated)."""
        return float(np.sum(self._per_obs(self.term_nll, "nll", x, params)))

    def loss(self, x: Any, **params: Any) -> np.ndarray:
        """The per-observation loss (one value per row of ``x``)."""
        return self._per_obs(self.term_loss, "loss", x, params)

    def scale_value(self, **params: Any) -> float:
        return float(self.scale)

    def constant_value(self, x: Any, **params: Any) -> float:
        return float(np.sum(self._per_obs(self.term_constant, "constant", x, params)))

    @property
    def score_equations(self) -> list:
        r"""``[Eq(Σ_i ∂ log p(x_i)/∂θ, 0)]`` for θ in ``wrt`` (matrix equations)."""
        return list(self._cache["mvn_score_eqs"])

    @property
    def mle(self) -> dict | None:
        """Closed forms: mean -> (1/m) Σ x_i, cov -> (1/m) Σ (x_i − μ̂)(x_i − μ̂)ᵀ."""
        return dict(self._cache["mvn_mle"])

    def mle_value(self, x: Any, **fixed: Any) -> dict[str, np.ndarray]:
        r"""Evaluate the closed form on data ``x`` (m × d): the sample mean and the
        1/m (not 1/(m−1)) scatter matrix; a fixed ``mean=`` is used in the scatter."""
        x = Real.check(x, what="x", owner="MultivariateNormal", error=SupportError)
        if x.ndim != 2:
            raise ParameterError(f"MultivariateNormal: data must be m x d; got {x.shape}")
        out: dict[str, np.ndarray] = {}
        mean = (np.asarray(fixed["mean"], float) if "mean" in fixed and "mean" not in self.wrt
                else x.mean(axis=0))
        if "mean" in self.wrt:
            out["mean"] = mean
        if "cov" in self.wrt:
            c = x - mean
            out["cov"] = c.T @ c / x.shape[0]
        return out

    def score_value(self, x: Any, **params: Any) -> dict[str, np.ndarray]:
        """The symbolic per-observation scores evaluated at ``params`` (rows of ``x``)."""
        x, mean, cov, dim = self._args(x, params)
        out = {}
        for name, expr in self._cache["mvn_scores"].items():
            f = self._fn(expr, "score_" + name)
            vals = [np.asarray(f(row[:, None], mean[:, None], cov, dim), float)
                    for row in np.atleast_2d(x)]
            out[name] = np.stack(vals)[..., 0] if name == "mean" else np.stack(vals)
        return out

    def fisher_information(self):
        r"""Expected information of one observation: :math:`I(\mu) = \Sigma^{-1}`; for Σ,
        :math:`\tfrac12(\Sigma^{-1}\otimes\Sigma^{-1})` (vec Σ, symmetric perturbations:
        :math:`I(d\Sigma, d\Sigma) = \tfrac12\operatorname{tr}(\Sigma^{-1}d\Sigma\,
        \Sigma^{-1}d\Sigma)`); μ̂ and Σ̂ are uncorrelated, so the blocks are diagonal."""
        return self._cache["mvn_fisher"]

    def fisher_information_value(self, **params: Any) -> np.ndarray:
        """:meth:`fisher_information` with the numeric covariance put in for Σ (blocks in the
        order of ``wrt``; the Σ block in vec order, d² × d²)."""
        cov_name = next(n for n, v in self.param_symbols.items() if v == self.symbols["Sigma"])
        cov = np.asarray(params[cov_name], float)
        e = self.fisher_information().xreplace({self.symbols["Sigma"]: sp.ImmutableMatrix(cov)})
        blocks = e.args if isinstance(e, sp.BlockDiagMatrix) else (e,)
        return np.array(sp.BlockDiagMatrix(*[sp.ImmutableMatrix(b.doit()) for b in blocks])
                        .as_explicit(), dtype=float)


def _sym(expr, sigma):
    """Use Σ = Σᵀ (a covariance is symmetric) and tidy."""
    e = expr.xreplace({sp.Transpose(sigma): sigma, sp.Inverse(sp.Transpose(sigma)):
                       sp.Inverse(sigma)})
    return e.doit()


def build_mvn_derivation(family, wrt: tuple[str, ...] | None, fixed: tuple, link: tuple,
                         prior: str | None) -> MatrixDerivation:
    """The MultivariateNormal derivation (see the module docstring)."""
    if link:
        raise DerivationError(f"{family.title}: a link (conditional model) is not derived for "
                              "a vector response; derive the unconditional model")
    if prior is not None:
        raise DerivationError(f"{family.title}: priors are not derived for matrix parameters")
    fixed = dict(fixed)
    if fixed:
        raise DerivationError(
            f"{family.title}: fix parameters by name (fixed=['cov']) and pass their values "
            "to nll()/loss(); numeric vector/matrix values are not substituted")
    sd = family.sympy_density()
    names = list(family.param_names)
    mean_name = next(n for n in names if isinstance(sd.params[n], sp.MatrixSymbol)
                     and sd.params[n].shape[1] == 1)
    cov_name = next(n for n in names if n != mean_name and isinstance(sd.params[n],
                                                                       sp.MatrixSymbol))
    wrt = tuple(wrt) if wrt is not None else (mean_name, cov_name)
    for n in wrt:
        if n not in (mean_name, cov_name):
            raise DerivationError(f"cannot derive w.r.t. {n!r}: {family.title} has parameters "
                                  f"{', '.join(names)}")
    wrt = tuple(n for n in (mean_name, cov_name) if n in wrt)  # canonical order
    if not wrt:
        raise DerivationError(f"{family.title}: nothing to estimate")
    x, mu, sigma = sd.x, sd.params[mean_name], sd.params[cov_name]
    d = sd.params.get("d", x.shape[0])
    i = sp.Symbol("i", integer=True, positive=True)
    m = sp.Symbol("m", integer=True, positive=True)
    xi = sp.MatrixSymbol("x_i", d, 1)
    u, ui = x - mu, xi - mu
    two_pi = 2 * sp.pi

    density = sp.exp(-QuadForm(u, sigma) / 2) / sp.sqrt(two_pi ** d * sp.Determinant(sigma))
    logp = -QuadForm(u, sigma) / 2 - LogDet(sigma) / 2 - d * sp.log(two_pi) / 2
    term_nll = -logp
    est_cov = cov_name in wrt
    if est_cov:
        loss, const_term = QuadForm(u, sigma) + LogDet(sigma), d * sp.log(two_pi) / 2
        loss_i = QuadForm(ui, sigma) + LogDet(sigma)
        loss_name = "Gaussian NLL with learned covariance"
        note = ("squared Mahalanobis distance plus log|Sigma|: the multivariate Gaussian NLL "
                "with learned variance")
        const_sum = m * d * sp.log(two_pi) / 2
    else:
        loss, const_term = QuadForm(u, sigma), LogDet(sigma) / 2 + d * sp.log(two_pi) / 2
        loss_i = QuadForm(ui, sigma)
        loss_name = "Mahalanobis squared error"
        note = ("squared Mahalanobis distance (x - mu)^T Sigma^-1 (x - mu); with Sigma = "
                "sigma^2 I it is the squared error with a = 1/(2 sigma^2)")
        const_sum = sp.Add(m * LogDet(sigma) / 2, m * d * sp.log(two_pi) / 2, evaluate=False)
    scale = sp.Rational(1, 2)

    mu_hat, sig_hat = hat("mu"), hat("Sigma")
    theta = [mu if n == mean_name else sigma for n in wrt]
    lhs = [mu_hat if n == mean_name else sig_hat for n in wrt]
    L = sp.Function("L")(*theta)
    ell = sp.Function("ell")(*theta)
    NLL = sp.Function("NLL")(*theta)
    held = "" if est_cov else f"; {cov_name} (Sigma) held fixed"
    if mean_name not in wrt:
        held = f"; {mean_name} (mu) held fixed"
    steps = [
        Step("Model", sp.Eq(sp.Function("p")(x), density, evaluate=False),
             "the model: the density of one d-dimensional observation" + held),
        Step("Log-density", sp.Eq(sp.log(sp.Function("p")(x)), logp, evaluate=False),
             "log of the product is the sum of logs; log exp(-q/2) = -q/2; "
             "log |Sigma|^(-1/2) = -(1/2) log|Sigma|"),
        Step("Likelihood", sp.Eq(L, sp.Product(sp.Function("p")(xi), (i, 1, m)),
                                 evaluate=False),
             "i.i.d.: the joint density of independent samples is the product of their "
             "densities"),
        Step("Log-likelihood", sp.Eq(ell, sp.Sum(logp.xreplace({x: xi}), (i, 1, m)),
                                     evaluate=False),
             "log is monotone, so it keeps the argmax; it turns the product into a sum of logs"),
        Step("Negative log-likelihood",
             sp.Eq(NLL, sp.Add(sp.Sum(QuadForm(ui, sigma), (i, 1, m)) / 2,
                               m * LogDet(sigma) / 2, m * d * sp.log(two_pi) / 2,
                               evaluate=False), evaluate=False),
             "maximising the log-likelihood is minimising its negative; the terms free of i "
             "are summed m times"),
        Step("Separate the constant",
             sp.Eq(NLL, sp.Add(scale * sp.Sum(loss_i, (i, 1, m)), const_sum, evaluate=False),
                   evaluate=False),
             "terms free of the estimated parameters drop out of the argmin; they are kept "
             "as the constant c" if not est_cov else "only (md/2) log 2 pi is free of "
             "Sigma; it is the constant c"),
    ]
    if not est_cov:
        s2 = sp.Symbol("sigma", positive=True)
        iso = sp.Add(sp.Sum(SqNorm(ui), (i, 1, m)) / (2 * s2 ** 2), m * d * sp.log(s2),
                     m * d * sp.log(two_pi) / 2, evaluate=False)
        steps.append(Step(
            "Isotropic case", sp.Eq(sp.Function("NLL")(mu), iso, evaluate=False),
            "with Sigma = sigma^2 I: (x-mu)^T Sigma^-1 (x-mu) = ||x-mu||^2 / sigma^2 and "
            "log|Sigma| = 2d log sigma: the squared error with a = 1/(2 sigma^2)"))
    hat_lhs = sp.Tuple(*lhs) if len(lhs) > 1 else lhs[0]
    steps.append(Step("Maximum likelihood = minimum loss",
                      sp.Eq(hat_lhs, ArgMin(sp.Sum(loss_i, (i, 1, m)) / m,
                                            sp.Tuple(*theta) if len(theta) > 1 else theta[0]),
                            evaluate=False),
                      "dividing by m·a > 0 does not move the argmin: the MLE minimises the "
                      f"mean {loss_name}"))

    # ---- score equations by matrix calculus (SymPy) + Jacobi's formula for log|Sigma|
    q = sp.MatMul(sp.Transpose(u), sp.Inverse(sigma), u)
    scores: dict[str, Any] = {}
    if mean_name in wrt:
        scores[mean_name] = _sym(-q.diff(mu) / 2, sigma)  # = Sigma^-1 (x - mu)
    if est_cov:
        # d log|Sigma| / d Sigma = Sigma^-T (Jacobi's formula), Sigma^-1 for symmetric Sigma
        scores[cov_name] = _sym(-q.diff(sigma) / 2, sigma) - sp.Inverse(sigma) / 2
    score_eqs = [sp.Eq(sp.Sum(s.xreplace({x: xi}), (i, 1, m)),
                       sp.ZeroMatrix(*s.shape), evaluate=False) for s in scores.values()]
    mle: dict[str, Any] = {}
    mle_steps = []
    if mean_name in wrt:
        mle[mean_name] = sp.Sum(xi, (i, 1, m)) / m
        mle_steps.append(sp.Eq(mu_hat, mle[mean_name], evaluate=False))
    if est_cov:
        centre = mu_hat if mean_name in wrt else mu
        mle[cov_name] = sp.Sum((xi - sp.MatrixSymbol(centre.name, d, 1)) *
                               sp.Transpose(xi - sp.MatrixSymbol(centre.name, d, 1)),
                               (i, 1, m)) / m
        mle_steps.append(sp.Eq(sig_hat, mle[cov_name], evaluate=False))
    steps.append(Step("Score equations", sp.Tuple(*score_eqs) if len(score_eqs) > 1
                      else score_eqs[0],
                      "differentiate log p (matrix calculus; d log|Sigma|/dSigma = Sigma^-1 "
                      "for symmetric Sigma) and set the summed score to zero"))
    steps.append(Step("Closed-form MLE", sp.Tuple(*mle_steps) if len(mle_steps) > 1
                      else mle_steps[0],
                      "Sigma^-1 is invertible, so sum_i (x_i - mu) = 0 gives the sample mean; "
                      "multiplying the Sigma-equation by Sigma on both sides gives the 1/m "
                      "scatter matrix" if est_cov and mean_name in wrt else
                      "Sigma^-1 is invertible, so sum_i (x_i - mu) = 0 gives the sample mean"
                      if not est_cov else "multiplying the Sigma-equation by Sigma on both "
                      "sides gives the 1/m scatter matrix about the fixed mean"))

    # ---- Fisher information: -E[d^2 log p] (the mu-block is free of x: no integral needed)
    blocks = []
    if mean_name in wrt:
        h = _sym(q.diff(mu).diff(mu) / 2, sigma)
        if h.has(x):  # pragma: no cover - the Hessian in mu of a Gaussian is constant
            raise DerivationError("unexpected data-dependent Hessian for the mean")
        blocks.append(h)
    if est_cov:
        blocks.append(sp.KroneckerProduct(sp.Inverse(sigma), sp.Inverse(sigma)) / 2)
    fisher = blocks[0] if len(blocks) == 1 else sp.BlockDiagMatrix(*blocks)

    out = MatrixDerivation(
        family=family, wrt=wrt, fixed={n: sd.params[n] for n in names if n not in wrt},
        link={}, loss_name=loss_name, loss_expr=loss.xreplace({x: xi}), scale=scale,
        constant=const_sum, steps=steps,
        nll_expr=sp.Add(scale * sp.Sum(loss_i, (i, 1, m)), const_sum, evaluate=False),
        data_symbol=x, term_nll=term_nll, term_loss=loss, term_constant=const_term,
        arg_symbols={"__data__": x, mean_name: mu, cov_name: sigma}, logdensity=logp,
        param_symbols={mean_name: mu, cov_name: sigma},
        wrt_symbols=tuple(sd.params[n] for n in wrt), note=note,
        symbols={"m": m, "i": i, "x": x, "d": d, "mu": mu, "Sigma": sigma, "x_i": xi},
    )
    out._cache["mvn_scores"] = scores
    out._cache["mvn_score_eqs"] = score_eqs
    out._cache["mvn_mle"] = mle
    out._cache["mvn_fisher"] = fisher
    return out
