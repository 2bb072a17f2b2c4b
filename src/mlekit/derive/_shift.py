r"""The conditional derivation of a family whose linear predictor *shifts* a vector parameter.

Most conditional models replace one parameter by an inverse link,
:math:`\mu_i = g^{-1}(w^\top x_i)`. The cumulative link model (``MASS::polr``,
``ordinal::clm``) instead moves every cut point by the same linear predictor and lets the
link choose the latent distribution F:

.. math::

    P(Y_i < j \mid x_i) = F(\theta_j - \eta_i),\qquad
    P(Y_i = j \mid x_i) = F(\theta_{j+1} - \eta_i) - F(\theta_j - \eta_i),\qquad
    \eta_i = w^\top x_i ,

with :math:`\theta_0 = -\infty`, :math:`\theta_K = \infty` and no intercept in w (the cut
points carry it). A family declares this with :attr:`~mlekit.families.base.Family.
derivation_shift` (a :class:`~mlekit.families.base.LocationShift`) and writes the density
itself, ``derivation_density(link=name, shift=eta)``; this module only builds the steps:

Model (F of the link, cut points :math:`\theta_j`) → linear predictor → model in the
linear predictor (:math:`\theta_j - \eta`) → likelihood → log-likelihood → NLL →
:math:`\mathrm{NLL} = \sum_i \mathrm{loss}_i` (a = 1, c = 0: every term depends on
:math:`(w, \theta)`) → :math:`(\hat w, \hat\theta) = \arg\min`.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import DerivationError
from ..families.base import Family
from ..links import get_link
from ._derivation import Derivation, Step
from ._display import ArgMin
from ._display import hat as _hat
from ._print import sstr


def _check(family: Family, wrt: tuple | None, fixed: tuple, link: dict) -> str:
    """The link's name, after checking that the request is this model's (DerivationError)."""
    shift = family.derivation_shift
    allowed = ", ".join(repr(n) for n in shift.links)
    if len(link) != 1 or next(iter(link)) != shift.parameter:
        raise DerivationError(
            f"{family.title} takes one link, which moves its {shift.parameter}: link= one "
            f"of {allowed}; got link={link!r}")
    name = str(next(iter(link.values())))
    if name not in shift.links:
        raise DerivationError(
            f"{family.title}: link must be one of {allowed} (it chooses the latent F, and "
            f"eta moves every {shift.parameter}_j); got {name!r}")
    if fixed:
        raise DerivationError(
            f"{family.title}: with link={name!r} the weights w and {shift.parameter} are "
            f"estimated together; {', '.join(n for n, _ in fixed)} cannot be held fixed")
    extra = [n for n in (wrt or ()) if n not in (shift.parameter, "w")]
    if extra:
        raise DerivationError(
            f"{family.title}: with link={name!r} the estimates are w and "
            f"{shift.parameter}; got wrt={', '.join(extra)}")
    return name


def build_shift_derivation(family: Family, wrt: tuple | None, fixed: tuple, link: dict,
                           prior: str | None, prior_scale: Any) -> Derivation:
    """The conditional derivation of :attr:`Family.derivation_shift` (see the module)."""
    from ._engine import _REASONS, _add_prior, _negate, _sample

    shift = family.derivation_shift
    lk = _check(family, wrt, fixed, link)
    eta = sp.Symbol("eta", real=True)
    base = family.derivation_density(link=lk)            # F of the link, cut points theta_j
    moved = family.derivation_density(link=lk, shift=eta)  # every cut point minus eta
    y, theta = moved.x, moved.params[shift.parameter]
    i = sp.Symbol("i", integer=True, positive=True)
    m = sp.Symbol("m", integer=True, positive=True)
    d = sp.Symbol("d", integer=True, positive=True)
    w = sp.MatrixSymbol("w", d, 1)
    t = sp.Symbol("t", real=True)

    def ind(e):  # observation i: y -> y_i, eta -> eta_i
        return _sample(e, y, i, None, [eta])

    logp = moved.logdensity
    nll = _negate(logp)
    loss_name = shift.loss_name.format(link=lk)
    p = sp.Function("p")(y)
    F_text = sstr(get_link(lk).sympy_inverse(t))
    steps = [
        Step("Model", sp.Eq(p, base.expr, evaluate=False),
             f"{_REASONS['model']} (the probability of each class); F is the CDF of the "
             f"latent variable, the inverse {lk} link: F(t) = {F_text}"),
        Step("Linear predictor", sp.Eq(sp.IndexedBase(eta.name)[i],
                                       w.T * sp.MatrixSymbol("x_i", d, 1), evaluate=False),
             f"conditional likelihood: the latent variable moves with the features x_i, so "
             f"every cut point moves by the same eta_i, {shift.parameter}_j -> "
             f"{shift.parameter}_j - eta_i: P(Y_i < j | x_i) = F({shift.parameter}_j - "
             f"eta_i) (no intercept in w: the cut points carry it)"),
        Step("Model in the linear predictor", sp.Eq(p, moved.expr, evaluate=False),
             "substitute the shifted cut points into the density"),
    ]
    args = (w, theta)
    L, ell, NLL = (sp.Function(n)(*args) for n in ("L", "ell", "NLL"))
    total = sp.Sum(ind(nll), (i, 1, m))
    steps += [
        Step("Likelihood", sp.Eq(L, sp.Product(ind(moved.expr), (i, 1, m)), evaluate=False),
             _REASONS["likelihood"]),
        Step("Log-likelihood", sp.Eq(ell, sp.Sum(ind(logp), (i, 1, m)), evaluate=False),
             _REASONS["loglik"]),
        Step("Negative log-likelihood", sp.Eq(NLL, total, evaluate=False), _REASONS["nll"]),
        Step("Separate the constant", sp.Eq(NLL, total, evaluate=False),
             f"{_REASONS['split']}; every term here depends on (w, {shift.parameter}), so "
             "a = 1 and c = 0"),
    ]
    hat = sp.Tuple(_hat("w"), _hat(shift.parameter))
    under = sp.Tuple(w, theta)
    steps.append(Step("Maximum likelihood = minimum loss",
                      sp.Eq(hat, ArgMin(total / m, under), evaluate=False),
                      f"{_REASONS['argmin']}: the mean {loss_name}"))
    zero = sp.Integer(0)
    out = Derivation(
        family=family, wrt=("w", shift.parameter), fixed={}, link={shift.linked: lk},
        loss_name=loss_name, loss_expr=nll, scale=sp.Integer(1), constant=zero, steps=steps,
        nll_expr=total, data_symbol=y, term_nll=nll, term_loss=nll, term_constant=zero,
        arg_symbols={"__data__": y, shift.parameter: theta, "eta": eta}, logdensity=logp,
        param_symbols={shift.parameter: theta}, wrt_symbols=(theta,),
        note=f"the {loss_name}, derived from the cumulative link model of {family.title}",
        symbols={"m": m, "i": i, "x": y, "eta": eta},
    )
    if prior is not None:
        lin = {shift.parameter: (w, get_link(lk))}
        _add_prior(out, prior, prior_scale, link, lin, (theta,), sp.Integer(1), hat, nll,
                   ind, i, m, zero)
    return out


__all__ = ["build_shift_derivation"]
