r"""Torch log-densities: closed forms for common families, a compiled SymPy fallback for all.

:func:`resolve_log_density` picks, for a family and its heads,

1. **closed form (torch)** — a log-density written here in torch for the
   family's parameterisation (normal, bernoulli, categorical, poisson, gamma,
   exponential, halfnormal, laplace, student-t, lognormal, beta, binomial, negative binomial,
   geometric, weibull, cauchy, logistic, gumbel, uniform). It is used only when its
   parameter names match the registered family's and it reproduces the family's
   NumPy ``logpdf`` at the family's ``example_params`` (checked once per family),
   so a parameterisation that drifts falls back instead of giving wrong losses;
2. **symbolic (SymPy → torch)** — the family's SymPy log-density
   (:meth:`~mlekit.families.Family.sympy_density`) compiled to torch by
   :mod:`mlekit.torch._symbolic`. Registered links are substituted
   symbolically first (``σ = e^η``), so logs of link outputs simplify exactly.
   This serves any registered or user-defined (custom) family whose
   log-density is built from elementary and gamma-type functions;
3. **numpy** — for a family with neither (Tweedie's series density) but with an
   analytic ``score`` in its file: its NumPy ``logpdf`` inside a torch autograd
   Function whose gradient is that score (:mod:`mlekit.torch._bridge`).

Both take the target ``y`` and a dict ``{name: HeadValue}`` and return the
elementwise log-density; the closed forms use :meth:`HeadValue.log` /
:meth:`HeadValue.log1m` so that logit/log/softmax heads are exact (e.g.
Bernoulli on logits is ``y·logσ(η) + (1−y)·logσ(−η)``, the
``BCEWithLogitsLoss`` form; Poisson on a log head is ``yη − e^η − log y!``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import NotImplementedForFamily, ParameterError
from ..families.base import Family
from ..links import LINKS
from ._links import LOG_2PI, HeadValue
from ._symbolic import compile_sympy

__all__ = ["CLOSED_FORMS", "closed_form_for", "resolve_log_density", "symbolic_log_density"]

_P = dict[str, HeadValue]
_LogPdf = Callable[[torch.Tensor, _P], torch.Tensor]

#: family key -> list of (parameter names in family order, torch log-density)
CLOSED_FORMS: dict[str, list[tuple[tuple[str, ...], _LogPdf]]] = {}


def _key(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _register(names: tuple[str, ...], *params: str) -> Callable[[_LogPdf], _LogPdf]:
    def deco(fn: _LogPdf) -> _LogPdf:
        for n in names:
            CLOSED_FORMS.setdefault(_key(n), []).append((tuple(params), fn))
        return fn

    return deco


def _xlog(y: torch.Tensor, h: HeadValue) -> torch.Tensor:
    """y · log θ: exact in link space; ``xlogy`` (0 where y = 0) in value space."""
    return y * h.log() if h.exact_logs else torch.special.xlogy(y, h.value)


def _xlog1m(y: torch.Tensor, h: HeadValue) -> torch.Tensor:
    """y · log(1 − θ), exact for logit/probit/cloglog heads."""
    if h.eta is not None and h._fn is not None and h._fn[2] is not None:
        return y * h.log1m()
    return torch.special.xlog1py(y, -h.value)


def _lbeta(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b)


# ---------------------------------------------------------------- continuous
@_register(("normal", "gaussian"), "mu", "sigma")
def _normal(y, P):
    z = (y - P["mu"].value) / P["sigma"].value
    return -0.5 * z * z - P["sigma"].log() - 0.5 * LOG_2PI


@_register(("lognormal",), "mu", "sigma")
def _lognormal(y, P):
    ly = torch.log(y)
    z = (ly - P["mu"].value) / P["sigma"].value
    return -0.5 * z * z - P["sigma"].log() - 0.5 * LOG_2PI - ly


@_register(("halfnormal", "half_normal"), "sigma")
def _halfnormal(y, P):
    z = y / P["sigma"].value
    return 0.5 * math.log(2.0 / math.pi) - P["sigma"].log() - 0.5 * z * z


@_register(("exponential",), "rate")
def _exponential_rate(y, P):
    return P["rate"].log() - P["rate"].value * y


@_register(("exponential",), "scale")
def _exponential_scale(y, P):
    return -P["scale"].log() - y / P["scale"].value


@_register(("gamma",), "shape", "rate")
def _gamma_rate(y, P):
    k, b = P["shape"], P["rate"]
    return (k.value * b.log() - torch.lgamma(k.value)
            + torch.special.xlogy(k.value - 1.0, y) - b.value * y)


@_register(("gamma",), "alpha", "beta")
def _gamma_ab(y, P):
    return _gamma_rate(y, {"shape": P["alpha"], "rate": P["beta"]})


@_register(("gamma",), "shape", "scale")
def _gamma_scale(y, P):
    k, s = P["shape"], P["scale"]
    return (-k.value * s.log() - torch.lgamma(k.value)
            + torch.special.xlogy(k.value - 1.0, y) - y / s.value)


def _laplace(y, loc, scale):
    return -math.log(2.0) - scale.log() - torch.abs(y - loc.value) / scale.value


for _names in (("mu", "b"), ("mu", "scale"), ("loc", "scale"), ("mu", "sigma")):
    _register(("laplace",), *_names)(
        lambda y, P, _n=_names: _laplace(y, P[_n[0]], P[_n[1]]))


def _studentt(y, df, loc, scale):
    nu = df.value
    z = (y - loc.value) / scale.value
    return (torch.lgamma(0.5 * (nu + 1.0)) - torch.lgamma(0.5 * nu)
            - 0.5 * (torch.log(nu) + math.log(math.pi)) - scale.log()
            - 0.5 * (nu + 1.0) * torch.log1p(z * z / nu))


for _names in (("nu", "mu", "sigma"), ("df", "mu", "sigma"), ("df", "loc", "scale"),
               ("mu", "sigma", "nu"), ("mu", "sigma", "df")):
    _order = ("nu" if "nu" in _names else "df", "mu" if "mu" in _names else "loc",
              "sigma" if "sigma" in _names else "scale")
    _register(("studentt", "student_t", "t"), *_names)(
        lambda y, P, _o=_order: _studentt(y, P[_o[0]], P[_o[1]], P[_o[2]]))


def _beta(y, a, b):
    return (torch.special.xlogy(a.value - 1.0, y) + torch.special.xlog1py(b.value - 1.0, -y)
            - _lbeta(a.value, b.value))


for _names in (("alpha", "beta"), ("a", "b")):
    _register(("beta",), *_names)(lambda y, P, _n=_names: _beta(y, P[_n[0]], P[_n[1]]))


def _cauchy(y, loc, scale):
    z = (y - loc.value) / scale.value
    return -math.log(math.pi) - scale.log() - torch.log1p(z * z)


for _names in (("mu", "sigma"), ("loc", "scale"), ("x0", "gamma")):
    _register(("cauchy",), *_names)(lambda y, P, _n=_names: _cauchy(y, P[_n[0]], P[_n[1]]))


def _logistic(y, loc, scale):
    z = (y - loc.value) / scale.value
    return -z - scale.log() - 2.0 * F.softplus(-z)


for _names in (("mu", "s"), ("mu", "scale"), ("loc", "scale"), ("mu", "sigma")):
    _register(("logistic",), *_names)(lambda y, P, _n=_names: _logistic(y, P[_n[0]], P[_n[1]]))


def _weibull(y, k, lam):
    z = y / lam.value
    return k.log() - lam.log() + torch.special.xlogy(k.value - 1.0, z) - torch.pow(z, k.value)


for _names in (("shape", "scale"), ("k", "lam"), ("k", "lambda_")):
    _register(("weibull",), *_names)(lambda y, P, _n=_names: _weibull(y, P[_n[0]], P[_n[1]]))


@_register(("gumbel", "gumbel_r"), "mu", "beta")
def _gumbel(y, P):
    z = (y - P["mu"].value) / P["beta"].value
    return -P["beta"].log() - z - torch.exp(-z)


@_register(("uniform",), "low", "high")
def _uniform(y, P):
    lo, hi = P["low"].value, P["high"].value
    inside = (y >= lo) & (y <= hi)
    val = -torch.log(hi - lo)
    return torch.where(inside, val, torch.full_like(val, -math.inf))


# ---------------------------------------------------------------- discrete
@_register(("bernoulli",), "p")
def _bernoulli(y, P):
    return _xlog(y, P["p"]) + _xlog1m(1.0 - y, P["p"])


@_register(("categorical", "multinomial"), "p")
def _categorical(y, P):
    logp = P["p"].log() if P["p"].exact_logs else torch.log(P["p"].value)
    idx = y.long() if y.is_floating_point() else y
    batch = torch.broadcast_shapes(idx.shape, logp.shape[:-1])
    logp = logp.expand(*batch, logp.shape[-1])
    return torch.gather(logp, -1, idx.expand(batch).unsqueeze(-1)).squeeze(-1)


@_register(("ordinal",), "theta")
def _ordinal(y, P):
    r"""Cumulative logit: :math:`\log P(Y = c) = \log(\sigma(b) - \sigma(a))` with
    :math:`a = \theta_c`, :math:`b = \theta_{c+1}` (:math:`\theta_0 = -\infty`,
    :math:`\theta_K = \infty`), written as
    :math:`\log\sigma(b) + \log\sigma(-a) + \log(1 - e^{a-b})`: exact in both tails,
    and the end classes are the plain ``logsigmoid`` (no infinity enters the graph, so no
    0 · inf in a gradient)."""
    theta = P["theta"].value
    if theta.dim() == 0 or theta.shape[-1] < 1:
        raise ParameterError("Ordinal: theta must be a vector of K-1 increasing cut points "
                             f"along its last axis; got shape {tuple(theta.shape)}")
    idx = y.long() if y.is_floating_point() else y
    k = theta.shape[-1]
    batch = torch.broadcast_shapes(idx.shape, theta.shape[:-1])
    theta = theta.expand(*batch, k)
    c = idx.expand(batch)
    below = (c - 1).clamp(0, k - 1).unsqueeze(-1)
    above = c.clamp(0, k - 1).unsqueeze(-1)
    a = torch.gather(theta, -1, below).squeeze(-1)   # θ_c (unused for class 0)
    b = torch.gather(theta, -1, above).squeeze(-1)   # θ_{c+1} (unused for class K−1)
    first, last = c <= 0, c >= k
    gap = torch.where(first | last, torch.ones_like(a), b - a)
    middle = F.logsigmoid(b) + F.logsigmoid(-a) + torch.log(-torch.expm1(-gap))
    out = torch.where(first, F.logsigmoid(b), torch.where(last, F.logsigmoid(-a), middle))
    off = (c < 0) | (c > k)   # not a class label 0 … K−1: log P = −inf, as the family's
    if y.is_floating_point():
        off = off | (y != torch.round(y)).expand(batch)
    return torch.where(off, torch.full_like(out, -math.inf), out)


@_register(("poisson",), "rate")
def _poisson_rate(y, P):
    return _xlog(y, P["rate"]) - P["rate"].value - torch.lgamma(y + 1.0)


@_register(("poisson",), "mu")
def _poisson_mu(y, P):
    return _poisson_rate(y, {"rate": P["mu"]})


@_register(("poisson",), "lam")
def _poisson_lam(y, P):
    return _poisson_rate(y, {"rate": P["lam"]})


@_register(("binomial",), "n", "p")
def _binomial(y, P):
    n = P["n"].value
    return (torch.lgamma(n + 1.0) - torch.lgamma(y + 1.0) - torch.lgamma(n - y + 1.0)
            + _xlog(y, P["p"]) + _xlog1m(n - y, P["p"]))


def _negbin_rp(y, r, p):
    """SciPy's ``nbinom(n=r, p)``: y failures before the r-th success, C(y+r−1, y) p^r (1−p)^y."""
    rv = r.value
    return (torch.lgamma(y + rv) - torch.lgamma(rv) - torch.lgamma(y + 1.0)
            + _xlog(rv, p) + _xlog1m(y, p))


for _names in (("r", "p"), ("n", "p")):
    _register(("negative_binomial", "negbinomial", "nbinom", "negbin"), *_names)(
        lambda y, P, _n=_names: _negbin_rp(y, P[_n[0]], P[_n[1]]))


def _negbin_mean(y, mu, r):
    """NB2 with mean μ and size r (Var = μ + μ²/r)."""
    rv, m = r.value, mu.value
    log_rm = torch.log(rv + m)
    return (torch.lgamma(y + rv) - torch.lgamma(rv) - torch.lgamma(y + 1.0)
            + rv * (r.log() - log_rm) + torch.special.xlogy(y, m) - y * log_rm)


for _names in (("mu", "r"), ("mu", "size"), ("mu", "theta")):
    _register(("negative_binomial", "negbinomial", "nbinom", "negbin"), *_names)(
        lambda y, P, _n=_names: _negbin_mean(y, P[_n[0]], P[_n[1]]))
_register(("negative_binomial", "negbinomial", "nbinom", "negbin"), "mu", "alpha")(
    lambda y, P: _negbin_mean(y, P["mu"], HeadValue(1.0 / P["alpha"].value)))


@_register(("geometric",), "p")
def _geometric(y, P):
    """Failures before the first success, y = 0, 1, …: p (1−p)^y."""
    return _xlog1m(y, P["p"]) + P["p"].log()


# ---------------------------------------------------------------- dispatch
def _example_check(family: Family, fn: _LogPdf) -> bool:
    """Does ``fn`` reproduce the family's NumPy logpdf at its example parameters?"""
    if not family.example_params:
        return True
    try:
        dist = family(**family.example_params)
        x = np.asarray(dist.sample(16, rng=np.random.default_rng(0)), dtype=float)
        ref = np.asarray(dist.logpdf(x), dtype=float)
        params = {k: HeadValue(torch.as_tensor(np.asarray(v, float)))
                  for k, v in dist.params.items()}
        got = fn(torch.as_tensor(x), params).detach().numpy()
    except Exception:  # any mismatch of conventions or shapes: do not trust it
        return False
    return bool(np.allclose(got, ref, rtol=1e-8, atol=1e-10))


@functools.cache
def closed_form_for(family: Family) -> _LogPdf | None:
    """The torch closed form for ``family``, or ``None`` (see module docstring).

    Examples
    --------
    >>> import mlekit as mk, mlekit.torch as mkt
    >>> mkt.closed_form_for(mk.Normal) is not None
    True
    >>> power = mk.custom_family("a * x**(a - 1)", ["a=positive"], support="unit", name="power")
    >>> mkt.closed_form_for(power) is None          # torch then compiles its SymPy density
    True
    """
    for names, fn in CLOSED_FORMS.get(_key(family.name), []):
        if names == family.param_names and _example_check(family, fn):
            return fn
    return None


def _head_key(heads: dict[str, object]) -> tuple[tuple[str, str | None], ...]:
    out = []
    for name, h in heads.items():
        out.append((name, h if isinstance(h, str) else None))
    return tuple(out)


@functools.cache
def _compiled(family: Family, head_key: tuple[tuple[str, str | None], ...]):
    import sympy

    sd = family.sympy_density()
    logp = sd.logdensity
    heads = dict(head_key)
    args, via_eta = [sd.x], []
    parts: list[tuple[int, ...] | None] = []  # per parameter: the entries of a vector one
    for p in family.parameters:
        sym = sd.params.get(p.name)
        used = [a.indices[0] for a in logp.atoms(sympy.Indexed) if a.base == sym]
        if isinstance(sym, sympy.IndexedBase) and p.event_ndim == 1 and used and all(
                i.is_Integer for i in used):
            # a probability vector written out entry by entry (a mixture's weights
            # w[1] … w[k]; not a Σ over a symbolic class index, as the Categorical's): one
            # argument per entry, fed value[..., j − 1] (the head's value: softmax of the
            # raw outputs)
            idx = tuple(sorted({int(i) for i in used}))
            entries = [sympy.Symbol(f"_{sym.name}_{j}", positive=True) for j in idx]
            logp = logp.xreplace({sym[j]: e for j, e in zip(idx, entries, strict=True)})
            args += entries
            via_eta.append(False)
            parts.append(idx)
            continue
        parts.append(None)
        if sym is None or p.event_ndim:
            raise NotImplementedForFamily(
                f"{family.title}: the symbolic torch fallback handles scalar parameters only "
                f"({p.name} is not); give the family a torch log-density"
            )
        link = heads.get(p.name)
        if link in LINKS and link not in ("identity", "softmax"):
            eta = sympy.Symbol(f"eta_{p.name}", real=True)
            logp = logp.subs(sym, LINKS[link].sympy_inverse(eta))
            args.append(eta)
            via_eta.append(True)
        elif link == "softplus":
            eta = sympy.Symbol(f"eta_{p.name}", real=True)
            logp = logp.subs(sym, sympy.log(1 + sympy.exp(eta)))
            args.append(eta)
            via_eta.append(True)
        else:
            args.append(sym)
            via_eta.append(False)
    return compile_sympy(logp, args), tuple(via_eta), tuple(parts)


def symbolic_log_density(family: Family, heads: dict[str, object] | None = None) -> _LogPdf:
    """The family's SymPy log-density compiled to torch (links substituted symbolically).

    Examples
    --------
    >>> import torch, mlekit as mk, mlekit.torch as mkt
    >>> f = mkt.symbolic_log_density(mk.Poisson)
    >>> y = torch.tensor([2.0], dtype=torch.float64)
    >>> f(y, {"rate": mkt.HeadValue(torch.tensor([3.0], dtype=torch.float64))})   # log(9 e^-3 / 2)
    tensor([-1.4959], dtype=torch.float64)
    >>> f(y, {"rate": mkt.HeadValue(eta=torch.tensor([0.0], dtype=torch.float64), head="log")})
    tensor([-1.6931], dtype=torch.float64)
    """
    fn, via_eta, parts = _compiled(family, _head_key(dict(heads or {})))
    names = family.param_names

    def logpdf(y: torch.Tensor, P: _P) -> torch.Tensor:
        vals = []
        for n, e, idx in zip(names, via_eta, parts, strict=True):
            h = P[n]
            v = h.eta if e and h.eta is not None else h.value
            if idx is None:
                vals.append(v)
            else:  # a vector parameter: its entries, the last axis taken apart
                vals += [v[..., j - 1] for j in idx]
        out = fn(y, *vals)
        out = out.expand(torch.broadcast_shapes(out.shape, y.shape, *[v.shape for v in vals]))
        if family.support_parameters:
            out = _off_support_to_minus_inf(family, y, P, out)
        return out

    return logpdf


def _off_support_to_minus_inf(family: Family, y: torch.Tensor, P: _P,
                              out: torch.Tensor) -> torch.Tensor:
    """log p = −∞ where ``y`` lies off a support that moves with the parameters.

    A SymPy density states p(x; θ) on the support only (Pareto: α s^α / x^(α+1) for
    x ≥ s; Uniform: 1/(high − low) on [low, high]), so its compiled log-density is finite
    off it, where the family's ``logpdf`` is −∞. The support comes from the family itself
    (:meth:`~mlekit.families.Family.support_of` with the parameter values); the mask
    carries no gradient.
    """
    with torch.no_grad():
        params = {n: P[n].value.detach().cpu().double().numpy()
                  for n in family.support_parameters}
        domain = family.support_of(**params)
        inside = np.asarray(domain.contains(y.detach().cpu().double().numpy()), dtype=bool)
        mask = torch.as_tensor(np.broadcast_to(inside, out.shape).copy(), device=out.device)
    return torch.where(mask, out, torch.full_like(out, -math.inf))


def resolve_log_density(family: Family, heads: dict[str, object] | None = None,
                        method: str = "auto") -> tuple[_LogPdf, str]:
    """Choose the torch log-density of ``family``; returns ``(fn, method_used)``.

    ``method``: ``"auto"`` (closed form when available, else symbolic),
    ``"closed form"`` or ``"symbolic"``.

    Examples
    --------
    >>> import torch, mlekit as mk, mlekit.torch as mkt
    >>> fn, used = mkt.resolve_log_density(mk.Normal)
    >>> used
    'closed form'
    >>> fn2, used2 = mkt.resolve_log_density(mk.Normal, method="symbolic")
    >>> used2
    'symbolic'
    """
    if method not in ("auto", "closed form", "symbolic", "numpy"):
        raise NotImplementedForFamily(
            f"unknown method {method!r} (choose from: auto, closed form, symbolic, numpy)"
        )
    if method == "numpy":
        from ._bridge import numpy_log_density

        return numpy_log_density(family), "numpy"
    if method in ("auto", "closed form"):
        fn = closed_form_for(family)
        if fn is not None:
            return fn, "closed form"
        if method == "closed form":
            raise NotImplementedForFamily(
                f"{family.title} has no torch closed form for parameters "
                f"({', '.join(family.param_names)}); use method='symbolic'"
            )
    try:
        return symbolic_log_density(family, heads), "symbolic"
    except NotImplementedForFamily:
        from ._bridge import has_numpy_score, numpy_log_density

        if method != "auto" or not has_numpy_score(family):
            raise
    # 3. the family's own NumPy logpdf, differentiated by its analytic score
    return numpy_log_density(family), "numpy"
