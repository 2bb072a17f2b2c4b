r"""Symbolic derivations: the loss implied by a likelihood, step by step.

:func:`derive` turns a family (and optionally links, fixed parameters and a
prior) into a :class:`Derivation`: likelihood → log-likelihood → NLL →
``NLL = a · Σ loss_i + c`` with the named loss recognised up to its exact
positive scale ``a`` and the constant ``c`` kept. :func:`symbolic_kl` gives
the KL divergence between two members of a family in closed form.

SymPy is imported only when these functions run, never by ``import mlekit``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import DerivationError, ParameterError
from ..families import get_family
from ..families.base import Family
from ._derivation import Derivation, Step

__all__ = ["Derivation", "Step", "derive", "symbolic_kl"]


def _freeze(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), v if not hasattr(v, "item") else v.item())
                            for k, v in value.items()))
    if isinstance(value, str):
        return ((value, None),)
    if isinstance(value, Iterable):
        return tuple((str(k), None) for k in value)
    raise DerivationError(f"cannot read {value!r}: give a dict name -> value or a list of names")


def derive(family: str | Family, wrt: str | Iterable[str] | None = None,
           fixed: Mapping[str, float] | Iterable[str] | None = None,
           link: str | Mapping[str, str] | None = None, prior: str | None = None,
           prior_scale: float | None = None) -> Derivation:
    r"""Derive the loss implied by the likelihood of ``family`` for m i.i.d. observations.

    .. math::

        L(\theta) = \prod_{i=1}^m p(x_i;\theta),\quad
        -\log L(\theta) = a \sum_{i=1}^m \mathrm{loss}_i(\theta) + c

    Parameters
    ----------
    family : a family or its registry name (``"normal"``), or a custom family
    wrt : the parameter(s) to estimate; default: the family's mean parameter
        (all estimable parameters if it has none); with ``link`` the weights
    fixed : parameters held fixed: a list of names (kept as symbols, the default for
        every parameter not in ``wrt``) or a dict ``name -> number`` (substituted)
    link : str or dict, optional
        ``"logit"`` (applied to the mean parameter) or
        ``{"mu": "identity", "sigma": "log"}``: a conditional model with
        :math:`g(\theta_i) = w^\top x_i`;
        ``{"mean": "log"}`` puts the link on the mean of a family without a mean
        parameter (Gamma: rate = shape / mu), reparameterising it first;
        ``derive("ordinal", link="probit")``: the cumulative link model, every cut point
        moved by the linear predictor and F chosen by the link (``"logit"``, ``"probit"``,
        ``"cloglog"``), w and the cut points estimated
    prior : ``"gaussian"`` or ``"laplace"`` prior on the weights (or on ``wrt``
        without a link) for MAP: adds an L2 / L1 penalty
    prior_scale : the prior's scale τ (a number); symbolic ``tau`` when omitted

    Returns
    -------
    Derivation
        ``.loss_name``, ``.scale`` (a), ``.constant`` (c), ``.steps``, renderings and
        numeric ``.nll(x, **params)``, ``.loss(x, **params)``.

    Examples
    --------
    >>> d = derive("normal", wrt="mu")
    >>> d.loss_name, str(d.scale)
    ('squared error', '1/(2*sigma**2)')
    """
    fam = get_family(family)
    if isinstance(wrt, str):
        wrt = (wrt,)
    wrt_t = None if wrt is None else tuple(str(w) for w in wrt)
    if isinstance(fixed, Mapping):
        fixed_t = _freeze(fixed)
        fixed_t = tuple((k, v) for k, v in fixed_t)
        _check_fixed(fam, fixed_t)
    elif fixed is None:
        fixed_t = ()
    else:
        names = (fixed,) if isinstance(fixed, str) else tuple(fixed)
        fixed_t = tuple((str(n), None) for n in names)
    if link is None:
        link_t = ()
    elif isinstance(link, Mapping):
        link_t = tuple((str(k), str(v)) for k, v in link.items())
        if any(k == "mean" for k, _ in link_t) and "mean" not in fam.param_names:
            from ._reparam import mean_parametrised

            target = fam.mean_parameter
            if target is None:
                fam = mean_parametrised(fam)
                target = "mu"
            link_t = tuple(((target if k == "mean" else k), v) for k, v in link_t)
    elif fam.derivation_shift is not None:  # the link moves a vector parameter (Ordinal)
        link_t = ((fam.derivation_shift.parameter, str(link)),)
    else:
        if fam.mean_parameter is None:
            raise DerivationError(f"{fam.title} has no mean parameter to put a link on; "
                                  "give link={'param': 'link name'}")
        link_t = ((fam.mean_parameter, str(link)),)
    shift = fam.derivation_shift
    if link_t and shift is not None and fixed_t:
        raise DerivationError(f"{fam.title}: with a link, w and {shift.parameter} are estimated "
                              f"together; nothing can be held fixed (got fixed={fixed!r})")
    if prior_scale is not None:
        prior_scale = float(prior_scale)
    try:
        hash(fixed_t)
    except TypeError:
        raise DerivationError(f"fixed values must be numbers; got {fixed!r}") from None
    return _derive_cached(fam, wrt_t, fixed_t, link_t, prior, prior_scale)


def _check_fixed(fam: Family, fixed: tuple) -> None:
    """A value a parameter is fixed at must lie in that parameter's domain (else the
    derivation is nonsense, e.g. log(-1) = i·pi in the Normal's constant at sigma = -1)."""
    for name, value in fixed:
        if value is None or name not in fam.param_names:
            continue  # a name the family lacks is reported by the engine
        if isinstance(value, (bool, np.bool_)):
            raise ParameterError(f"{fam.title}: fixed value of {name} must be a number; "
                                 f"got {value!r}")
        fam.parameter(name).domain.check(value, what=f"fixed value of {name}",
                                         owner=fam.title, error=ParameterError)


@functools.lru_cache(maxsize=256)
def _derive_cached(family: Family, wrt, fixed, link, prior, prior_scale) -> Derivation:
    from ._engine import build_derivation

    fixed_numbers = {k: v for k, v in fixed if v is not None}
    return build_derivation(family, wrt, tuple(fixed_numbers.items()), link, prior, prior_scale)


def symbolic_kl(family: str | Family, simplify: bool = True):
    r"""KL(P‖Q) between two members of ``family`` as a SymPy expression.

    .. math:: D(P\|Q) = E_P[\log p(X) - \log q(X)]

    computed as an integral over the support (continuous) or a sum (discrete).
    The parameters of P carry the suffix ``_1`` and those of Q ``_2``; the result
    has ``.p_symbols`` / ``.q_symbols`` dicts and a numeric ``.evaluate(p, q)``.

    Examples
    --------
    >>> import mlekit as mk
    >>> k = mk.symbolic_kl("exponential")
    >>> k.expr
    log(rate_1/rate_2) - 1 + rate_2/rate_1
    >>> round(float(k.evaluate({"rate": 1.0}, {"rate": 2.0})), 6)   # log(1/2) + 2 - 1
    0.306853
    """
    from ._kl import symbolic_kl as _kl

    return _kl(get_family(family), simplify)
