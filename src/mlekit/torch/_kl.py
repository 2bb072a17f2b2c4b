r"""``kl(p, q)``: closed-form KL divergences on batches of torch tensors (differentiable).

Each side is given as

* a ``torch.distributions`` object (``Normal``, ``HalfNormal``, ``Bernoulli``, ``Categorical``,
  ``Poisson``, ``Exponential``, ``Gamma``, ``Beta``, ``Laplace``, ``LogNormal``,
  ``Binomial``), translated to the mlekit family and its textbook parameters
  (``Normal(loc, scale) → normal(mu, sigma)``, ``Gamma(concentration, rate) →
  gamma(shape, rate)`` …); Bernoulli/Categorical built from logits keep them;
* a pair ``(family, {parameter: tensor})`` — ``("normal", {"mu": m, "sigma": s})``;
  Bernoulli/Categorical also accept ``{"logits": eta}``;
* a mlekit :class:`~mlekit.Distribution` (its NumPy parameters become float64 tensors).

The closed forms below mirror the NumPy ones registered next to each family
(``@register_kl``) and are tested against them and against
``torch.distributions.kl_divergence``. Logit-parameterised Bernoulli and
Categorical use ``logsigmoid``/``log_softmax``, so logits of ±1000 stay finite.
A pair without a torch closed form raises ``NotImplementedForFamily``
(``mlekit.divergence.kl`` has the numeric fallbacks, without gradients).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from ..errors import NotImplementedForFamily, ParameterError
from ..families import get_family
from ..families.base import Distribution, Family
from ._links import HeadValue, as_tensor

__all__ = ["TORCH_KL", "kl", "to_mlekit"]

_P = dict[str, HeadValue]
#: (p family name, q family name) -> (parameter names of each, closed form)
TORCH_KL: dict[tuple[str, str], tuple[tuple[str, ...], Callable[[_P, _P], torch.Tensor]]] = {}


def _register(fam: str, *names: str):
    def deco(fn):
        TORCH_KL[(fam, fam)] = (tuple(names), fn)
        return fn

    return deco


def _plogp_ratio(p: HeadValue, q: HeadValue) -> torch.Tensor:
    """p (log p − log q), with 0 · log 0 = 0 where p is exactly 0 in value space."""
    if p.exact_logs:
        return p.value * (p.log() - q.log())
    pv = p.value
    safe = torch.where(pv > 0, pv, torch.ones_like(pv))
    return torch.where(pv > 0, pv * (torch.log(safe) - q.log()), torch.zeros_like(pv))


def _q1m(p: HeadValue) -> HeadValue:
    """The complement 1 − θ as a HeadValue (exact for logit heads: logits → −logits)."""
    if p.exact_logs and p.head == "logit":
        return HeadValue(eta=-p.eta, head="logit")
    return HeadValue(value=1.0 - p.value)


@_register("normal", "mu", "sigma")
def _kl_normal(p, q):
    ratio = p["sigma"].value / q["sigma"].value
    diff = (p["mu"].value - q["mu"].value) / q["sigma"].value
    return q["sigma"].log() - p["sigma"].log() + 0.5 * (ratio * ratio + diff * diff) - 0.5


@_register("lognormal", "mu", "sigma")
def _kl_lognormal(p, q):
    return _kl_normal(p, q)


@_register("halfnormal", "sigma")
def _kl_halfnormal(p, q):
    ratio = p["sigma"].value / q["sigma"].value
    return q["sigma"].log() - p["sigma"].log() + 0.5 * ratio * ratio - 0.5


@_register("bernoulli", "p")
def _kl_bernoulli(p, q):
    a, b = p["p"], q["p"]
    return _plogp_ratio(a, b) + _plogp_ratio(_q1m(a), _q1m(b))


@_register("categorical", "p")
def _kl_categorical(p, q):
    a, b = p["p"], q["p"]
    if a.value.shape[-1] != b.value.shape[-1]:
        raise ParameterError(
            f"Categorical KL: p has {a.value.shape[-1]} classes but q has {b.value.shape[-1]}"
        )
    return _plogp_ratio(a, b).sum(-1)


@_register("poisson", "rate")
def _kl_poisson(p, q):
    r1, r2 = p["rate"], q["rate"]
    return _plogp_ratio(r1, r2) - r1.value + r2.value


@_register("exponential", "rate")
def _kl_exponential(p, q):
    r1, r2 = p["rate"], q["rate"]
    return r1.log() - r2.log() + r2.value / r1.value - 1.0


@_register("gamma", "shape", "rate")
def _kl_gamma(p, q):
    k1, b1, k2, b2 = p["shape"].value, p["rate"], q["shape"].value, q["rate"]
    return ((k1 - k2) * torch.digamma(k1) - torch.lgamma(k1) + torch.lgamma(k2)
            + k2 * (b1.log() - b2.log()) + k1 * (b2.value - b1.value) / b1.value)


@_register("beta", "alpha", "beta")
def _kl_beta(p, q):
    a1, b1, a2, b2 = p["alpha"].value, p["beta"].value, q["alpha"].value, q["beta"].value

    def lbeta(a, b):
        return torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b)

    return (lbeta(a2, b2) - lbeta(a1, b1) + (a1 - a2) * torch.digamma(a1)
            + (b1 - b2) * torch.digamma(b1) + (a2 - a1 + b2 - b1) * torch.digamma(a1 + b1))


@_register("laplace", "mu", "b")
def _kl_laplace(p, q):
    b1, b2 = p["b"], q["b"]
    d = torch.abs(p["mu"].value - q["mu"].value)
    return (b2.log() - b1.log() + d / b2.value
            + b1.value / b2.value * torch.exp(-d / b1.value) - 1.0)


@_register("binomial", "n", "p")
def _kl_binomial(p, q):
    n1, n2 = p["n"].value, q["n"].value
    if not torch.equal(*torch.broadcast_tensors(n1, n2)):
        raise ParameterError("Binomial KL in closed form needs equal n (otherwise it is infinite)")
    return n1 * _kl_bernoulli({"p": p["p"]}, {"p": q["p"]})


# ---------------------------------------------------------------- conversions
def _from_torch(d: Any) -> tuple[Family, _P]:
    D = torch.distributions
    attrs = vars(d)
    if isinstance(d, D.Normal):
        return get_family("normal"), {"mu": HeadValue(d.loc), "sigma": HeadValue(d.scale)}
    if isinstance(d, D.HalfNormal):
        return get_family("halfnormal"), {"sigma": HeadValue(d.scale)}
    if isinstance(d, D.LogNormal):
        base = d.base_dist
        return get_family("lognormal"), {"mu": HeadValue(base.loc),
                                         "sigma": HeadValue(base.scale)}
    if isinstance(d, (D.Bernoulli, D.Categorical, D.Binomial)):
        vector = isinstance(d, D.Categorical)
        head = "softmax" if vector else "logit"
        h = (HeadValue(eta=d.logits, head=head) if "logits" in attrs
             else HeadValue(value=d.probs))
        if isinstance(d, D.Binomial):
            return get_family("binomial"), {"n": HeadValue(d.total_count), "p": h}
        return get_family("categorical" if vector else "bernoulli"), {"p": h}
    if isinstance(d, D.Poisson):
        return get_family("poisson"), {"rate": HeadValue(d.rate)}
    if isinstance(d, D.Exponential):
        return get_family("exponential"), {"rate": HeadValue(d.rate)}
    if isinstance(d, D.Gamma):
        return get_family("gamma"), {"shape": HeadValue(d.concentration),
                                     "rate": HeadValue(d.rate)}
    if isinstance(d, D.Beta):
        return get_family("beta"), {"alpha": HeadValue(d.concentration1),
                                    "beta": HeadValue(d.concentration0)}
    if isinstance(d, D.Laplace):
        return get_family("laplace"), {"mu": HeadValue(d.loc), "b": HeadValue(d.scale)}
    raise NotImplementedForFamily(
        f"mlekit.torch.kl does not translate torch.distributions.{type(d).__name__}; "
        "pass (family, {parameter: tensor}) instead"
    )


def to_mlekit(side: Any) -> tuple[Family, dict[str, HeadValue]]:
    """Normalise one side of :func:`kl` to ``(Family, {parameter: HeadValue})``.

    Examples
    --------
    >>> import torch, mlekit as mk, mlekit.torch as mkt
    >>> fam, params = mkt.to_mlekit(torch.distributions.Normal(0.0, 2.0))
    >>> fam, sorted(params)
    (<family Normal(mu, sigma)>, ['mu', 'sigma'])
    >>> params["sigma"].value
    tensor(2.)
    >>> mkt.to_mlekit(mk.Poisson(rate=3.0))[0]
    <family Poisson(rate)>
    """
    if isinstance(side, torch.distributions.Distribution):
        return _from_torch(side)
    if isinstance(side, Distribution):
        fam = side.family
        P = {k: HeadValue(torch.as_tensor(np.asarray(v, float))) for k, v in side.params.items()}
        if "logits" in side.aux:
            head = "softmax" if fam.parameter(fam.param_names[0]).event_ndim else "logit"
            P[fam.param_names[0]] = HeadValue(
                eta=torch.as_tensor(np.asarray(side.aux["logits"], float)), head=head)
        return fam, P
    if isinstance(side, tuple) and len(side) == 2 and isinstance(side[1], Mapping):
        fam = get_family(side[0])
        params = dict(side[1])
        ref = next((v for v in params.values()
                    if isinstance(v, torch.Tensor) and v.is_floating_point()), None)
        P = {}
        if "logits" in params:
            head = "softmax" if fam.parameter(fam.param_names[0]).event_ndim else "logit"
            P[fam.param_names[0]] = HeadValue(eta=as_tensor(params.pop("logits"), ref),
                                              head=head)
        for k, v in params.items():
            fam.parameter(k)
            P[k] = HeadValue(as_tensor(v, ref))
        lacking = [n for n in fam.param_names if n not in P]
        if lacking:
            raise ParameterError(f"{fam.title}: missing parameter(s) {', '.join(lacking)}")
        return fam, P
    raise ParameterError(
        "each side of mlekit.torch.kl must be a torch.distributions object, a pair "
        "(family, {parameter: tensor}) or a mlekit Distribution; "
        f"got {type(side).__name__}"
    )


def kl(p: Any, q: Any) -> torch.Tensor:
    r"""KL(P‖Q) = E_P[log p − log q] in closed form, batched and differentiable.

    Parameters
    ----------
    p, q : ``torch.distributions`` objects, ``(family, {parameter: tensor})`` pairs or
        mlekit ``Distribution`` objects (see the module docstring); parameters
        broadcast like torch tensors.

    Returns
    -------
    torch.Tensor
        KL in nats, with the broadcast batch shape of ``p`` and ``q``.

    Examples
    --------
    >>> import torch, mlekit.torch as mkt
    >>> mu = torch.tensor([0.0, 1.0])
    >>> mkt.kl(("normal", {"mu": mu, "sigma": torch.ones(2)}),
    ...        torch.distributions.Normal(0.0, 2.0))
    tensor([0.3181, 0.4431])
    """
    pf, pp = to_mlekit(p)
    qf, qq = to_mlekit(q)
    entry = TORCH_KL.get((pf.name, qf.name))
    if entry is None:
        raise NotImplementedForFamily(
            f"no torch closed-form KL for ({pf.title} ‖ {qf.title}); torch pairs: "
            + ", ".join(sorted(f"{a}‖{b}" for a, b in TORCH_KL))
            + ". mlekit.divergence.kl has numeric fallbacks (NumPy, no gradients)"
        )
    names, fn = entry
    for fam in (pf, qf):
        if fam.param_names != names:
            raise NotImplementedForFamily(
                f"the torch KL for {fam.title} expects parameters ({', '.join(names)}); "
                f"the registered family has ({', '.join(fam.param_names)})"
            )
    return fn(pp, qq)

