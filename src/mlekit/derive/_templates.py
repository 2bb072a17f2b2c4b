r"""Named loss templates and the matcher that recognises them in a derived NLL.

A template is a per-observation loss :math:`T(y;\,\theta, \dots)` stated
symbolically. A derived per-observation negative log-likelihood
:math:`n(y;\theta)` *is* the named loss when

.. math:: n(y;\theta) = a\,T(y;\theta) + c(y)

with a scale :math:`a > 0` free of :math:`y` and of the parameters being
estimated, and a remainder :math:`c` free of the parameters (it may depend on
the data and on the parameters held fixed). The matcher finds :math:`a` as the
ratio of the parameter derivatives, ``a = (∂n/∂θ) / (∂T/∂θ)`` — it must
simplify to an expression free of :math:`y` and :math:`\theta`, identical for
every estimated parameter — then checks that ``n − a T`` no longer depends on
:math:`\theta` and takes it as the constant.

Templates are tried in order; each declares *roles*: the estimated parameters
it needs (``theta``; two for the Gaussian NLL with learned variance) and the
fixed quantities it needs (``tau``, ``nu``, ``s``, ``k``). Roles are filled by
trying every assignment of the estimated symbols and of the fixed parameters
(symbols or the numbers they were fixed at), so a template does not depend on
how a family names its parameters.

This module imports SymPy at the top; it is only imported from inside
:func:`mlekit.derive.derive`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["LOSS_TEMPLATES", "LossTemplate", "Match", "match_loss", "register_loss_template"]


@dataclass(frozen=True)
class LossTemplate:
    """A named per-observation loss.

    Attributes
    ----------
    name : the loss's usual name ("squared error")
    wrt_roles : roles filled by the estimated parameters, in order
    fixed_roles : roles filled by fixed parameters (symbols or numbers)
    build : ``build(y, roles) -> expr`` the loss used for matching
    display : optional ``display(y, roles) -> expr``, a nicer but equal form
    link_forms : ``{link name: (loss name in link space, builder(y, eta, roles))}``;
        the link-space form is verified numerically against the substitution
    positive_roles : roles that must be positive (scales, degrees of freedom)
    note : one line shown with the result (what the loss is known as). A ``{role}`` in it
        is replaced by what that role matched in the family (its own parameter name or a
        number), so a note never speaks another family's parameter names; ``note_fields``
        adds named expressions of the roles (e.g. ``{mean}`` as ``k/theta``)
    """

    name: str
    wrt_roles: tuple[str, ...]
    build: Callable[[Any, dict[str, Any]], Any]
    fixed_roles: tuple[str, ...] = ()
    display: Callable[[Any, dict[str, Any]], Any] | None = None
    link_forms: dict[str, tuple[str, Callable[..., Any]]] = field(default_factory=dict)
    positive_roles: tuple[str, ...] = ()
    unit_roles: tuple[str, ...] = ()
    note: str = ""
    note_fields: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def describe(self, roles: dict[str, Any]) -> str:
        """The note with each ``{role}`` (and ``note_fields`` name) replaced by what it
        matched, e.g. ``{mean}`` → ``1/rate`` for the Exponential; other braces stay."""
        values = dict(roles)
        if self.note_fields is not None:
            values.update(self.note_fields(roles))
        return re.sub(r"\{(\w+)\}", lambda m: sp.sstr(_as_expr(values[m.group(1)]))
                      if m.group(1) in values else m.group(0), self.note)


@dataclass
class Match:
    """The outcome of a successful match: ``nll = scale · loss + remainder``."""

    template: LossTemplate
    roles: dict[str, Any]
    loss: Any
    scale: Any
    remainder: Any

    @property
    def note(self) -> str:
        """The template's note in the matched family's own parameter names."""
        return self.template.describe(self.roles)



def _as_expr(value):
    """A role value (a family's SymPy symbol or a number) as a SymPy expression.

    ``strict=True`` makes SymPy refuse strings instead of parsing them, so no text can be
    evaluated here, whatever reaches this function.
    """
    return sp.sympify(value, strict=True)

def _sq(y, r):
    return (y - r["theta"]) ** 2


def _abs(y, r):
    return sp.Abs(y - r["theta"])


def _pinball(y, r):
    # rho_tau(u) = u (tau - [u < 0]) = u (tau - 1/2) + |u| / 2, with u = y - theta
    u = y - r["theta"]
    return u * (r["tau"] - sp.Rational(1, 2)) + sp.Abs(u) / 2


def _pinball_display(y, r):
    u = y - r["theta"]
    return sp.Max(r["tau"] * u, (r["tau"] - 1) * u)


def _bce(y, r):
    p = r["theta"]
    return -(y * sp.log(p) + (1 - y) * sp.log(1 - p))


def _bce_logits(y, eta, r):
    return sp.log(1 + sp.exp(eta)) - y * eta


def _binomial(y, r):
    p = r["theta"]
    return -(y * sp.log(p) + (r["n"] - y) * sp.log(1 - p))


def _binomial_logits(y, eta, r):
    return r["n"] * sp.log(1 + sp.exp(eta)) - y * eta


def _logistic_margin(y, r):
    return sp.log(1 + sp.exp(-y * r["theta"]))


def _cce(y, r):
    p = r["theta"]
    c = r["_index"]
    k = r["_classes"]
    return -sp.Sum(y[c] * sp.log(p[c]), (c, 1, k))


def _poisson(y, r):
    return r["theta"] - y * sp.log(r["theta"])


def _poisson_log(y, eta, r):
    return sp.exp(eta) - y * eta


def _gamma_dev(mu_of):
    def build(y, r):
        mu = mu_of(r)
        return 2 * (y / mu - sp.log(y / mu) - 1)

    return build


def _gamma_dev_log(y, eta, r):
    return 2 * (y * sp.exp(-eta) + eta - sp.log(y) - 1)


def _tweedie_dev(y, r):
    r"""The Tweedie unit deviance, 1 < p < 2:
    :math:`d(y,\mu) = 2\bigl[\frac{y^{2-p}}{(1-p)(2-p)} - \frac{y\mu^{1-p}}{1-p}
    + \frac{\mu^{2-p}}{2-p}\bigr]` (0 at y = μ, and at y = 0 it is
    :math:`2\mu^{2-p}/(2-p)`)."""
    mu, p = r["theta"], r["p"]
    return 2 * (y ** (2 - p) / ((1 - p) * (2 - p)) - y * mu ** (1 - p) / (1 - p)
                + mu ** (2 - p) / (2 - p))


def _student(y, r):
    return sp.log(1 + (y - r["theta"]) ** 2 / (r["nu"] * r["s"] ** 2))


def _cauchy(y, r):
    return sp.log(1 + ((y - r["theta"]) / r["s"]) ** 2)


def _gauss_learned(y, r):
    return (y - r["mu"]) ** 2 / (2 * r["sigma"] ** 2) + sp.log(r["sigma"])


def _gauss_learned_var(y, r):
    return (y - r["mu"]) ** 2 / (2 * r["v"]) + sp.log(r["v"]) / 2


LOSS_TEMPLATES: list[LossTemplate] = [
    LossTemplate("squared error", ("theta",), _sq,
                 link_forms={"identity": ("squared error", lambda y, e, r: (y - e) ** 2)},
                 note="MSE: the mean of this loss"),
    LossTemplate("absolute error", ("theta",), _abs,
                 link_forms={"identity": ("absolute error", lambda y, e, r: sp.Abs(y - e))},
                 note="MAE: the estimate is a median"),
    LossTemplate("pinball (quantile) loss", ("theta",), _pinball, fixed_roles=("tau",),
                 display=_pinball_display, unit_roles=("tau",),
                 note="rho_tau(u) = max(tau u, (tau - 1) u) with tau = {tau}: the estimate is "
                      "the tau-quantile"),
    LossTemplate("binary cross-entropy", ("theta",), _bce,
                 link_forms={"logit": ("binary cross-entropy on logits", _bce_logits)},
                 note="log loss"),
    LossTemplate("binomial cross-entropy", ("theta",), _binomial, fixed_roles=("n",),
                 positive_roles=("n",),
                 link_forms={"logit": ("binomial cross-entropy on logits", _binomial_logits)},
                 note="n times the binary cross-entropy of the proportion y/n"),
    LossTemplate("logistic loss", ("theta",), _logistic_margin,
                 note="binary cross-entropy on logits in margin form, labels y in {-1, 1}"),
    LossTemplate("categorical cross-entropy", ("theta",), _cce,
                 link_forms={"softmax": ("softmax cross-entropy", None)},
                 note="log loss over k classes; y is the one-hot label"),
    LossTemplate("Poisson loss", ("theta",), _poisson,
                 link_forms={"log": ("Poisson loss on the log scale", _poisson_log)},
                 note="half the Poisson deviance up to terms free of the mean"),
    LossTemplate("Gamma deviance", ("theta",), _gamma_dev(lambda r: r["theta"]),
                 link_forms={"log": ("Gamma deviance on the log scale", _gamma_dev_log)},
                 note="unit deviance 2 (y/m - log(y/m) - 1) of the mean m = {theta}"),
    LossTemplate("Gamma deviance", ("theta",), _gamma_dev(lambda r: r["k"] / r["theta"]),
                 fixed_roles=("k",), positive_roles=("k",),
                 note="unit deviance of the mean {mean}",
                 note_fields=lambda r: {"mean": r["k"] / r["theta"]}),
    LossTemplate("Gamma deviance", ("theta",), _gamma_dev(lambda r: r["k"] * r["theta"]),
                 fixed_roles=("k",), positive_roles=("k",),
                 note="unit deviance of the mean {mean}",
                 note_fields=lambda r: {"mean": r["k"] * r["theta"]}),
    LossTemplate("Tweedie deviance", ("theta",), _tweedie_dev, fixed_roles=("p",),
                 positive_roles=("p",),
                 note="unit deviance d(y, m) = 2 (y^(2-p)/((1-p)(2-p)) - y m^(1-p)/(1-p) + "
                      "m^(2-p)/(2-p)) of the mean m = {theta}, power p = {p}; the constant "
                      "keeps -log a(y, phi, p), the Dunn-Smyth series of the density"),
    LossTemplate("squared logarithmic error", ("theta",),
                 lambda y, r: (sp.log(y) - r["theta"]) ** 2,
                 note="squared error of log y: the estimate is the mean of log y"),
    LossTemplate("log-cosh loss", ("theta",),
                 lambda y, r: sp.log(sp.cosh((y - r["theta"]) / (2 * r["s"]))),
                 fixed_roles=("s",), positive_roles=("s",),
                 note="log cosh(r/(2*{s})), r the residual: quadratic near 0, absolute for "
                      "large residuals"),
    LossTemplate("Cauchy loss", ("theta",), _cauchy, fixed_roles=("s",), positive_roles=("s",),
                 note="log(1 + (r/{s})^2), r the residual: robust, heavy-tailed"),
    LossTemplate("Student-t loss", ("theta",), _student, fixed_roles=("nu", "s"),
                 positive_roles=("nu", "s"),
                 note="log(1 + r^2/({nu}*{s}^2)), r the residual: robust, heavy-tailed"),
    LossTemplate("Gaussian NLL with learned variance", ("mu", "sigma"), _gauss_learned,
                 positive_roles=("sigma",),
                 note="squared error weighted by 1/(2 {sigma}^2) plus log {sigma}"),
    LossTemplate("Gaussian NLL with learned variance", ("mu", "v"), _gauss_learned_var,
                 positive_roles=("v",),
                 note="squared error weighted by 1/(2 {v}) plus (1/2) log {v}"),
]


def register_loss_template(template: LossTemplate, first: bool = False) -> LossTemplate:
    """Add a named loss to the registry (tried last, or first with ``first=True``)."""
    if first:
        LOSS_TEMPLATES.insert(0, template)
    else:
        LOSS_TEMPLATES.append(template)
    return template


# ------------------------------------------------------------------ matching
def _depends(expr, syms) -> bool:
    return any(expr.has(s) for s in syms)


def _is_zero(expr) -> bool:
    if expr == 0 or sp.cancel(sp.together(expr)) == 0:
        return True
    try:
        z = sp.simplify(expr)
    except Exception:  # pragma: no cover - simplify is best effort
        return False
    return z == 0


def _positive(expr, probe: dict) -> bool:
    if expr.is_positive:
        return True
    if expr.is_nonpositive:
        return False
    try:
        val = complex(expr.subs(probe).evalf())
    except (TypeError, ValueError):
        return False
    return abs(val.imag) < 1e-12 and val.real > 0


def _ratio(num, den, free_of=()):
    """num/den simplified; cheap rational cancellation first, full simplify if needed."""
    if den == 0:
        return None
    r = sp.cancel(sp.together(num / den))
    if _depends(r, free_of):
        r = sp.simplify(r)
    return r


def try_template(template: LossTemplate, nll, y, wrt: list, pool: list, probe: dict,
                 extra: dict | None = None, points: list[dict] | None = None,
                 accept: Callable[[Match], bool] | None = None) -> Match | None:
    """Try every role assignment of ``template`` against the per-observation ``nll``;
    ``accept(match)`` (optional) may reject a match, and the next assignment is tried (two
    fixed parameters whose example values coincide, Tweedie's phi = power = 1.5, pass the
    pre-checks in either role: the engine's check at moved values tells them apart)."""
    extra = dict(extra or {})
    if len(template.wrt_roles) != len(wrt):
        return None
    y_syms = [y]
    for wperm in itertools.permutations(wrt):
        for fixed in itertools.permutations(pool, len(template.fixed_roles)):
            roles = dict(zip(template.wrt_roles, wperm, strict=True))
            roles.update(zip(template.fixed_roles, fixed, strict=True))
            roles.update(extra)
            if any(not _positive(_as_expr(roles[r]), probe) for r in template.positive_roles):
                continue
            if any(not (_positive(_as_expr(roles[r]), probe)
                        and _positive(1 - _as_expr(roles[r]), probe))
                   for r in template.unit_roles):
                continue
            try:
                loss = template.build(y, roles)
            except Exception:  # a role of the wrong kind (e.g. an IndexedBase)
                continue
            if loss is None:
                continue
            m = _match_one(template, roles, loss, nll, wrt, y_syms, probe, points or [])
            if m is not None and (accept is None or accept(m)):
                return m
    return None


def _num(expr, point: dict) -> complex | None:
    try:
        v = complex(expr.xreplace({k: sp.Float(val) for k, val in point.items()}).evalf(15))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not np.isfinite(v.real) or not np.isfinite(v.imag) or abs(v.imag) > 1e-9 * (1 + abs(v)):
        return None
    return v


def _numeric_constant_ratio(dn, dt, points: list[dict]) -> bool:
    """Quick rejection: the ratio of derivatives must be the same number at every point."""
    vals = []
    for pt in points:
        a, b = _num(dn, pt), _num(dt, pt)
        if a is None or b is None or abs(b) < 1e-12:
            continue
        vals.append((a / b).real)
    if not points:
        return True  # no points (vector data): the symbolic test decides
    if len(vals) < 2:
        return False  # the template's derivative vanishes or is undefined at the points
    ref = vals[0]
    return all(abs(v - ref) <= 1e-7 * (1 + abs(ref)) for v in vals[1:])


def _symbolic_ratio(dn, dt, free_of: list, points: list[dict]):
    r = sp.cancel(sp.together(dn / dt))
    if not _depends(r, free_of):
        return r
    const = _pure_number(r, points, free_of)
    if const is not None:
        return const
    # numerically constant in the data and the estimated parameters (checked at several
    # points): take its value at one exact point, keeping the fixed parameters symbolic
    for pt in points[:2]:
        sub = {k: _nice(v) for k, v in pt.items() if k in free_of}
        try:
            val = sp.simplify(r.subs(sub))
        except Exception:  # pragma: no cover
            continue
        if val.is_finite is not False and not _depends(val, free_of) and val != 0 \
                and not val.has(sp.nan, sp.zoo):
            return val
    r2 = sp.simplify(r)
    return None if _depends(r2, free_of) else r2


def _pure_number(r, points: list[dict], free_of=()):
    """The value of ``r`` if it is one small rational at every point, with the symbols the
    points hold fixed (fixed parameters) moved to random admissible values as well; else
    ``None``. Log-cosh's ratio 2 is found this way without a ~2 s ``simplify`` of a ratio
    of exponentials in symbolic s.

    Every symbol other than the data and the estimated parameters (``free_of``) is moved,
    also when the points give it a value: the points hold a fixed parameter at one example
    value, and a ratio such as 1/b would otherwise pass for the number 1/1.5 = 2/3.
    """
    if len(points) < 2:
        return None
    moved_points = _fixed_moved(points, r, free_of, seed=20240613)
    if not moved_points:
        return None
    vals = []
    for moved in moved_points:
        v = _num(r, moved)
        if v is None:
            return None
        vals.append(v.real)
    ref = vals[0]
    if any(abs(v - ref) > 1e-12 * (1 + abs(ref)) for v in vals[1:]):
        return None
    guess = sp.nsimplify(ref, rational=True, tolerance=1e-12)
    if guess == 0 or guess.q > 1000 or abs(float(guess) - ref) > 1e-12 * (1 + abs(ref)):
        return None
    return guess


def _match_one(template, roles, loss, nll, wrt, y_syms, probe, points):
    scale = None
    vector = any(isinstance(w, sp.IndexedBase) for w in wrt)
    if vector:
        # vector parameters (Categorical p over classes): compare the expressions directly
        # (cheap cancellation only: a full simplify per template made Dirichlet take ~4 s)
        scale = sp.cancel(sp.together(nll / loss)) if loss != 0 else None
    else:
        derivs = []
        for w in wrt:
            dn, dt = sp.diff(nll, w), sp.diff(loss, w)
            if dt == 0 or not _numeric_constant_ratio(dn, dt, points):
                return None
            derivs.append((dn, dt))
        for dn, dt in derivs:
            r = _symbolic_ratio(dn, dt, [*wrt, *y_syms], points)
            if r is None:
                return None
            if scale is None:
                scale = r
            elif not _is_zero(r - scale):
                return None
    if scale is None or _depends(scale, [*wrt, *y_syms]) or not _positive(scale, probe):
        return None
    remainder = sp.expand(nll - scale * loss, log=False)
    if _depends(remainder, wrt):
        if vector:
            return None
        for w in wrt:  # free of the parameters? (numerically, at every point, and with the
            # fixed parameters moved too: Tweedie's phi and power share the example value 1.5)
            dr = sp.diff(remainder, w)
            pts = [*points, *_fixed_moved(points, dr, [*wrt, *y_syms])]
            if any(abs(v) > 1e-9 for v in (_num(dr, pt) for pt in pts) if v is not None):
                return None
        # write it at one simple admissible parameter value (and data value, if it does not
        # depend on the data either): e.g. log-cosh's remainder becomes log(4 s)
        at = {w: _simple(w) for w in wrt}
        y = y_syms[0]
        dy = sp.diff(remainder, y)
        if all(v is not None and abs(v) < 1e-9 for v in (_num(dy, pt) for pt in points)):
            at[y] = _simple(y)
        e = sp.expand_log(remainder.subs(at), force=True)
        remainder = sp.logcombine(e, force=True)  # log(s) + 2 log 2 -> log(4 s), cheaply
        if sp.count_ops(remainder) > 8:
            remainder = sp.simplify(e)
    disp = template.display(y_syms[0], roles) if template.display else loss
    return Match(template, roles, disp, scale, remainder)


def _fixed_moved(points: list[dict], expr, keep, seed: int = 20240614) -> list[dict]:
    """``points`` with every free symbol of ``expr`` but ``keep`` (the data and the estimated
    parameters; the fixed parameters are held at one example value in the points) moved to
    a random admissible value: an integer in 2 … 19, a positive in (0.2, 0.9) (inside
    (0, 1) too: a tau), a real from N(0, 1); an identity in the fixed parameters must hold
    there as well. ``[]`` when a free symbol is not a plain Symbol."""
    rng = np.random.default_rng(seed)
    keep = set(keep)
    out = []
    for pt in points:
        moved = {k: v for k, v in pt.items() if k in keep}
        for sym in expr.free_symbols - set(moved):
            if not isinstance(sym, sp.Symbol):
                return []
            if sym.is_integer:
                moved[sym] = float(rng.integers(2, 20))
            elif sym.is_positive or sym.is_nonnegative:
                moved[sym] = float(rng.uniform(0.2, 0.9))
            else:
                moved[sym] = float(rng.normal())
        out.append(moved)
    return out


def _nice(v: float):
    """A short exact rational near v (keeps simplification cheap)."""
    return sp.Rational(str(round(float(v), 2)))


def _simple(w):
    """A simple admissible value of a symbol: 1 if positive or integer, else 0."""
    if w.is_positive or w.is_integer:
        return sp.Integer(1)
    return sp.Integer(0)


def _admissible(w, points):
    for pt in points:
        if w in pt:
            return _nice(pt[w])
    return sp.Rational(1, 2)


def match_loss(nll, y, wrt: list, pool: list, probe: dict, extra: dict | None = None,
               templates: list[LossTemplate] | None = None,
               points: list[dict] | None = None,
               accept: Callable[[Match], bool] | None = None) -> Match | None:
    """The first template that ``nll`` equals up to a positive scale and a constant.

    ``points`` are a few admissible values of the data, the estimated and the fixed
    parameters; a template whose derivative ratio is not numerically constant there is
    rejected before any symbolic simplification (that keeps derive fast).
    """
    for t in templates if templates is not None else LOSS_TEMPLATES:
        m = try_template(t, nll, y, wrt, pool, probe, extra, points, accept)
        if m is not None:
            return m
    return None
