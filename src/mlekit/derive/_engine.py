r"""The derivation engine: likelihood → log-likelihood → NLL → named loss.

For m i.i.d. observations with density :math:`p(x;\theta)`:

1. likelihood :math:`L(\theta) = \prod_{i=1}^m p(x_i;\theta)` (independence);
2. log-likelihood :math:`\ell(\theta) = \sum_i \log p(x_i;\theta)` (log is
   monotone, the product becomes a sum);
3. NLL :math:`-\ell(\theta)` (maximising ℓ is minimising −ℓ);
4. split :math:`-\log p(x_i;\theta) = a\,\mathrm{loss}_i + c_i` with the
   named loss recognised by :mod:`._templates` up to the positive scale a;
   the terms :math:`c_i` free of θ drop out of the argmin;
5. :math:`\hat\theta = \arg\min \frac1m\sum_i \mathrm{loss}_i` (dividing by
   :math:`m a > 0` does not move the argmin).

A conditional model (``link=``) replaces a parameter by :math:`g^{-1}(\eta_i)`
with :math:`\eta_i = w^\top x_i` (or, for a family that declares
:attr:`~mlekit.families.base.Family.derivation_shift`, moves a vector parameter by
:math:`\eta_i`: :mod:`._shift`); a prior (``prior=``) adds
:math:`-\log\pi(w)`, i.e. an L2 (Gaussian) or L1 (Laplace) penalty whose
strength follows from the prior scale and the scale a of the loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..errors import DerivationError
from ..families.base import Family
from ..links import get_link
from ._derivation import Derivation, Step
from ._display import ArgMin, Factors
from ._display import hat as _hat
from ._templates import LOSS_TEMPLATES, _positive, match_loss

_REASONS = {
    "model": "the model: the density of one observation",
    "likelihood": "i.i.d.: the joint density of independent samples is the product of "
                  "their densities",
    "loglik": "log is monotone, so it keeps the argmax; it turns the product into a sum of logs",
    "nll": "maximising the log-likelihood is minimising its negative, the NLL",
    "split": "terms free of the estimated parameters drop out of the argmin; they are kept "
             "as the constant c",
    "argmin": "dividing by m·a > 0 does not move the argmin: the MLE minimises the mean loss",
}


def _sample(expr, data, i, vector_y=None, extra_bases=()):
    """Put observation i into a per-observation expression (x -> x_i, y_c -> y_{i,c})."""
    if vector_y is not None:
        bases = [vector_y, *extra_bases]

        def is_target(e):
            return isinstance(e, sp.Indexed) and e.base in bases

        return expr.replace(is_target, lambda e: e.base[(i, *e.indices)])
    out = expr.subs(data, sp.IndexedBase(data.name)[i]) if data is not None else expr
    for b in extra_bases:
        out = out.subs(b, sp.IndexedBase(b.name)[i])
    return out


def _number(v: Any):
    if isinstance(v, (bool, np.bool_)):
        raise DerivationError(f"fixed value {v!r} is not a number")
    if isinstance(v, (int, np.integer)):
        return sp.Integer(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return sp.Rational(f) if float(sp.Rational(f)) == f and abs(f) < 1e6 and f == round(f, 6) \
            else sp.Float(f)
    raise DerivationError(f"fixed value {v!r} must be a number")


def _probe(family: Family, syms: dict[str, Any]) -> dict:
    """Example values of the parameter symbols (to decide the sign of a scale)."""
    out = {}
    ex = dict(getattr(family, "example_params", {}) or {})
    for n, s in syms.items():
        if isinstance(s, sp.Symbol) and n in ex and np.ndim(ex[n]) == 0:
            out[s] = sp.Float(float(ex[n]))
    return out


def _points(family: Family, data, psyms: dict, wrt: tuple, subs_fixed: dict,
            n: int = 4) -> list[dict]:
    """A few admissible (data, parameter) points for numeric pre-checks of a template."""
    rng = np.random.default_rng(12345)
    ex = dict(getattr(family, "example_params", {}) or {})
    if any(np.ndim(v) for v in ex.values()):
        return []
    pts = []
    for _ in range(n):
        pt = {}
        for name, s in psyms.items():
            if s in subs_fixed or name not in ex:
                continue
            v = float(ex[name])
            if name in wrt:
                dom = family.parameter(name).domain
                if dom.name in ("UnitInterval", "ClosedUnitInterval"):
                    v = float(np.clip(v + rng.uniform(-0.1, 0.1), 0.05, 0.95))
                elif s.is_positive or s.is_nonnegative:
                    v = v * float(rng.uniform(0.7, 1.4))
                elif not s.is_integer:
                    v = v + float(rng.normal(scale=0.5))
            pt[s] = v
        try:
            params = {k: float(ex[k]) for k in family.param_names}
            params.update({k: pt[psyms[k]] for k in family.param_names if psyms[k] in pt})
            for k, val in subs_fixed.items():
                name = next(nm for nm, sym in psyms.items() if sym is k)
                params[name] = float(val)
            xv = float(np.ravel(family.sample((1,), rng, **{k: np.asarray(v) for k, v in
                                                           params.items()}))[0])
        except Exception:  # no sampler: a point of the support
            xv = float(np.ravel(family.support.example(rng, (1,)))[0])
        if data.is_integer:
            xv = float(round(xv))
        pt[data] = xv
        pts.append(pt)
    return pts


def _moved_points(family: Family, data, psyms: dict, subs_fixed: dict,
                  n: int = 4) -> list[dict]:
    """Points where every parameter not fixed at a number moves through its domain (the
    estimated ones *and* those held fixed as symbols), with data drawn from that member."""
    rng = np.random.default_rng(4242)
    ex = dict(getattr(family, "example_params", {}) or {})
    if not ex or any(np.ndim(v) for v in ex.values()):
        return []
    pts = []
    for _ in range(n):
        params, pt = {}, {}
        for name, sym in psyms.items():
            if sym in subs_fixed:
                params[name] = float(subs_fixed[sym])
                continue
            dom = family.parameter(name).domain
            try:
                with np.errstate(all="ignore"):
                    v = float(dom.from_unconstrained(np.asarray(rng.uniform(-1.0, 1.0))))
                if not (np.isfinite(v) and bool(dom.contains(np.asarray(v)))):
                    v = float(ex[name])
            except (NotImplementedError, TypeError, ValueError, KeyError):
                v = float(ex.get(name, 1.0))
            params[name] = v
            pt[sym] = v
        try:
            xv = float(np.ravel(family.sample((1,), rng, **{k: np.asarray(v) for k, v in
                                                           params.items()}))[0])
        except Exception:  # no sampler: a point of the support
            try:
                xv = float(np.ravel(family.support.example(rng, (1,)))[0])
            except Exception:
                continue
        pt[data] = float(round(xv)) if data.is_integer else xv
        pts.append(pt)
    return pts


def _split_holds(family: Family, nll, split, data, psyms: dict, subs_fixed: dict) -> bool:
    r"""``nll == a·loss + c`` numerically at :func:`_moved_points` (rel. 1e-9).

    The template matcher checks its ratios at points that hold the fixed parameters at
    their example values; this catches a scale or constant that is right only there (the
    asymmetric Laplace written with ``max`` once gave a = 2/3 = 1/b at b = 1.5).
    Points where either side cannot be evaluated are skipped.
    """
    from ._templates import _num

    diff = nll - split
    for pt in _moved_points(family, data, psyms, subs_fixed):
        a, b = _num(nll, pt), _num(diff, pt)
        if a is None or b is None:
            continue
        if abs(b) > 1e-9 * (1.0 + abs(a)):
            return False
    return True


def _negate(logp):
    """−log p; a density by cases keeps its cases, each negated (−log p of each case)."""
    if isinstance(logp, sp.Piecewise):
        return sp.Piecewise(*[(-e, c) for e, c in logp.args])
    return -logp


def _split_terms(nll, wrt_syms):
    """``(terms in the estimated parameters, the rest)`` of a per-observation NLL."""
    terms = sp.Add.make_args(sp.expand_log(nll, force=True))
    dep = [t for t in terms if any(t.has(w) for w in wrt_syms)]
    return sp.Add(*dep), _simplify_const(sp.Add(*[t for t in terms if t not in dep]))


def _factor_denominators(e):
    r"""Each term of ``e`` with a sum as its denominator over that sum factored
    (Tweedie's :math:`\phi(p-1)(p-2)`, not :math:`2\phi + \phi p^2 - 3\phi p`);
    inside a Sum, its summand's terms."""
    if isinstance(e, sp.Sum):
        return sp.Sum(_factor_denominators(e.function), *e.limits)
    terms = []
    for t in sp.Add.make_args(e):
        num, den = sp.fraction(t)
        if isinstance(den, sp.Add) or (isinstance(den, sp.Mul) and any(
                isinstance(f, sp.Add) for f in den.args)):
            t = num / sp.factor(den)
        terms.append(t)
    return sp.Add(*terms)


def _simplify_const(e):
    """A short form of the constant: log(2*pi)/2 stays together, numbers collected."""
    return sp.expand(e, log=False)


def build_derivation(family: Family, wrt: tuple[str, ...] | None, fixed: tuple,
                     link: tuple, prior: str | None, prior_scale: Any) -> Derivation:
    """Carry out the derivation (called through the cached :func:`mlekit.derive.derive`)."""
    if link and family.derivation_shift is not None:  # the link shifts a vector parameter
        from ._shift import build_shift_derivation

        return build_shift_derivation(family, wrt, fixed, dict(link), prior, prior_scale)
    sd = family.derivation_density()
    if isinstance(sd.x, sp.MatrixSymbol) or any(isinstance(v, sp.MatrixSymbol)
                                                for v in sd.params.values()):
        from ._mvn import build_mvn_derivation, is_mvn_like

        if is_mvn_like(sd):
            return build_mvn_derivation(family, wrt, fixed, link, prior)
        raise DerivationError(f"{family.title}: matrix-valued symbolic densities are not "
                              "derived yet (use the family's numeric logpdf)")
    names = list(family.param_names)
    psyms = {n: sd.params[n] for n in names}
    vector = isinstance(sd.x, sp.IndexedBase)
    logp = sd.logdensity
    fixed = dict(fixed)
    link = dict(link)
    for n in [*fixed, *link]:
        if n not in names:
            raise DerivationError(
                f"{family.title} has no parameter {n!r} (its parameters: {', '.join(names)})"
            )

    # ---- which parameters are estimated
    if wrt is None:
        if link:
            wrt = tuple(link)
        elif family.mean_parameter and family.mean_parameter not in fixed:
            wrt = (family.mean_parameter,)
        else:
            wrt = tuple(n for n in family.estimable_names if n not in fixed)
    wrt = tuple(wrt)
    for n in wrt:
        if n not in names:
            raise DerivationError(
                f"cannot derive w.r.t. {n!r}: {family.title} has parameters {', '.join(names)}"
            )
        if n in fixed:
            raise DerivationError(f"parameter {n!r} is both estimated (wrt) and fixed")
    for n in link:
        if n not in wrt:
            wrt = (*wrt, n)
    if not wrt:
        raise DerivationError(f"{family.title}: nothing to estimate (every parameter is fixed)")

    # ---- fixed values (numbers are substituted; the rest stay symbols, held fixed)
    subs_fixed = {}
    fixed_repr: dict[str, Any] = {}
    for n in names:
        if n in wrt:
            continue
        v = fixed.get(n)
        if v is None:
            fixed_repr[n] = psyms[n]
        else:
            subs_fixed[psyms[n]] = _number(v)
            fixed_repr[n] = v
    logp = logp.subs(subs_fixed)
    density = sd.expr.subs(subs_fixed)

    # ---- data symbol: x (unconditional) or y (conditional)
    data = sd.x
    if link and not vector:
        y = sp.Symbol("y", **data.assumptions0)
        logp, density = logp.subs(data, y), density.subs(data, y)
        data = y
    vector_info = {}
    if vector:
        vector_info = {"y": sd.x, "k": sd.params.get("k"), "c": sd.params.get("c")}

    wrt_syms = [psyms[n] for n in wrt]
    pool = [fixed_repr[n] if not isinstance(fixed_repr[n], (int, float, np.number))
            else _number(fixed_repr[n]) for n in names if n not in wrt]
    probe = _probe(family, psyms)
    extra = {"_index": vector_info.get("c"), "_classes": vector_info.get("k")} if vector else None
    nll_term = _negate(logp)
    cases = isinstance(nll_term, sp.Piecewise)

    pool.append(sp.Integer(1))  # e.g. the Exponential is the Gamma with shape 1
    points = [] if vector or cases else _points(family, data, psyms, wrt, subs_fixed)
    # a density by cases (zero-inflated, hurdle) or with vector weights on scalar data (a
    # mixture) is no single named template: its loss is the derived one, named after the
    # model (one-hot data with a probability vector, the Categorical, is matched as before)
    weights = not vector and any(isinstance(w, sp.IndexedBase) for w in wrt_syms)
    def exact(mt) -> bool:  # the named form must be exact everywhere, not just at the points
        return vector or _split_holds(family, nll_term, mt.scale * mt.loss + mt.remainder,
                                      data, psyms, subs_fixed)

    match = None if cases or weights else \
        match_loss(nll_term, data, wrt_syms, pool, probe, extra, points=points, accept=exact)

    # ---- the loss in the model's parameters
    if match is not None:
        loss_name = match.template.name
        loss = match.loss
        scale = match.scale
        const_term = _factor_denominators(_simplify_const(match.remainder))
        note = match.note  # in this family's own parameter names
    else:
        loss_name, note = None, "no named loss: the loss shown is the derived one"
        model_name = family.derivation_loss_name
        if model_name is not None:
            loss_name, note = model_name, (f"the {model_name}, derived from the density of "
                                           f"{family.title}")
        if cases:  # split each case: its terms in the estimated parameters, and the rest
            pairs = [_split_terms(e, wrt_syms) for e, _ in nll_term.args]
            conds = [c for _, c in nll_term.args]
            loss = sp.Piecewise(*[(d, c) for (d, _), c in zip(pairs, conds, strict=True)])
            rests = [r for _, r in pairs]
            const_term = rests[0] if all(r == rests[0] for r in rests) else \
                sp.Piecewise(*[(r, c) for r, c in zip(rests, conds, strict=True)])
        else:
            loss, const_term = _split_terms(nll_term, wrt_syms)
        scale = sp.Integer(1)

    i = sp.Symbol("i", integer=True, positive=True)
    m = sp.Symbol("m", integer=True, positive=True)
    steps: list[Step] = []
    # a vector of weights on scalar data (a mixture's) is estimated as its symbol: w-hat
    hats = [_hat(psyms[n].name if weights and isinstance(psyms[n], sp.IndexedBase) else n)
            for n in wrt]

    # ---- conditional model: parameters through links
    etas: dict[str, Any] = {}
    eta_bases = []
    link_subs = {}
    lin_syms = {}
    if link:
        d = sp.Symbol("d", integer=True, positive=True)
        for n, lk_name in link.items():
            lk = get_link(lk_name)
            suffix = "" if len(link) == 1 else f"_{n}"
            if vector:
                if lk.name != "softmax":
                    raise DerivationError(
                        f"{family.title} with one-hot data takes the softmax link, not {lk.name!r}"
                    )
                eta = sp.IndexedBase("eta", real=True)
            else:
                eta = sp.Symbol("eta" + suffix, real=True)
            etas[n] = eta
            eta_bases.append(eta)
            wname = "w" + suffix
            lin_syms[n] = (sp.MatrixSymbol(wname, d, 1), lk)
            if not vector:
                link_subs[psyms[n]] = lk.sympy_inverse(eta)

    # ---- the loss in link space (and its name there)
    loss_link, nll_link, model_logp = loss, nll_term, logp
    link_name = loss_name
    if link:
        if vector:
            k, c = vector_info["k"], vector_info["c"]
            j = sp.Symbol("j", integer=True, positive=True)
            eta = etas[wrt[0]]
            yb = vector_info["y"]
            loss_link = sp.log(sp.Sum(sp.exp(eta[j]), (j, 1, k))) - sp.Sum(yb[c] * eta[c],
                                                                           (c, 1, k))
            nll_link = loss_link
            model_logp = -loss_link
            link_name = "softmax cross-entropy" if loss_name else None
            scale, const_term = sp.Integer(1), sp.Integer(0)
        else:
            nll_link = nll_term.subs(link_subs)
            model_logp = logp.subs(link_subs)
            lf = match.template.link_forms.get(next(iter(link.values()))) if match else None
            sub_loss = sp.expand_log((match.template.build(data, match.roles) if match
                                      else loss).subs(link_subs), force=True)
            if lf is not None and lf[1] is not None and len(link) == 1:
                cand = lf[1](data, etas[wrt[0]], match.roles)
                if _numerically_equal(cand, sub_loss, [data, *etas.values()], probe, data):
                    loss_link, link_name = cand, lf[0]
                else:  # pragma: no cover - a template's link form disagrees with the model
                    loss_link = sub_loss
            else:
                loss_link = _tidy(sub_loss)
            if match is None:
                loss_link = _tidy(sub_loss)
            const_term = _simplify_const(const_term.subs(link_subs))

    # ---- steps
    theta_disp = [psyms[n] for n in wrt]
    if vector:
        px = sp.Function("P" if family.discrete else "p")(sp.Symbol(sd.x.name))
    else:
        px = sp.Function("p")(data)
    shown = _textbook_density(sd, subs_fixed, sd.x, data)
    steps.append(Step("Model", sp.Eq(px, density, evaluate=False),
                      _REASONS["model"] + _fixed_phrase(family, wrt, fixed_repr),
                      display=None if shown is None else sp.Eq(px, shown, evaluate=False)))
    if link:
        for n, (wmat, lk) in lin_syms.items():
            eta = etas[n]
            xi = sp.MatrixSymbol("x_i", wmat.shape[0], 1)
            eta_i = sp.IndexedBase(eta.name)[i] if not vector else eta[i, vector_info["c"]]
            lhs = (sp.Function("g")(sp.Symbol(f"{n}_i")) if not vector
                   else sp.Symbol(f"{n}_i"))
            if vector:
                wc = sp.MatrixSymbol("w_c", wmat.shape[0], 1)
                rel = sp.Eq(eta_i, wc.T * xi, evaluate=False)
                reason = ("conditional likelihood: the class probabilities are the softmax of "
                          "the linear predictors, p_c = exp(eta_c) / sum_j exp(eta_j)")
            else:
                rel = sp.Eq(eta_i, wmat.T * xi, evaluate=False)
                reason = (f"conditional likelihood: the {n} of observation i depends on "
                          f"its features x_i through the {lk.name} link: it is the inverse "
                          "link of the linear predictor")
            steps.append(Step(f"Linear predictor for {n}", rel, reason))
            del lhs
        yi_dens = sp.exp(model_logp) if not vector else None
        if not vector:
            steps.append(Step("Model in the linear predictor",
                              sp.Eq(sp.Function("p")(data), _tidy(yi_dens), evaluate=False),
                              "substitute the inverse link into the density"))
    # likelihood / log-likelihood / NLL
    def ind(e):
        return _sample(e, None if vector else data, i, vector_info["y"] if vector else None,
                       eta_bases)
    lhs_args = theta_disp if not link else [lin_syms[n][0] for n in link]
    L = sp.Function("L")(*lhs_args)
    ell = sp.Function("ell")(*lhs_args)
    NLL = sp.Function("NLL")(*lhs_args)
    if link and vector:
        dens_i = sp.exp(model_logp)
    elif link:
        dens_i = _tidy(sp.exp(model_logp))
    else:
        dens_i = density
    shown_i = None if link or shown is None else _rename(shown, data, sp.IndexedBase(data.name)[i])
    steps.append(Step("Likelihood", sp.Eq(L, sp.Product(ind(dens_i), (i, 1, m)),
                                          evaluate=False), _REASONS["likelihood"],
                      display=None if shown_i is None else
                      sp.Eq(L, sp.Product(shown_i, (i, 1, m)), evaluate=False)))
    steps.append(Step("Log-likelihood", sp.Eq(ell, sp.Sum(ind(model_logp), (i, 1, m)),
                                              evaluate=False), _REASONS["loglik"]))
    steps.append(Step("Negative log-likelihood",
                      sp.Eq(NLL, sp.Sum(ind(nll_link if link else nll_term), (i, 1, m)),
                            evaluate=False), _REASONS["nll"]))
    if link and vector:
        steps.append(Step("One-hot labels",
                          sp.Eq(sp.Sum(vector_info["y"][vector_info["c"]],
                                       (vector_info["c"], 1, vector_info["k"])), 1),
                          "y_i is one-hot, so -sum_c y_c log softmax(eta)_c = "
                          "log sum_j exp(eta_j) - sum_c y_c eta_c"))

    final_loss = loss_link if link else loss
    const_sum = _sum_constant(ind(const_term), const_term, data if not vector else
                              vector_info["y"], i, m, eta_bases)
    split = sp.Add(scale * sp.Sum(ind(final_loss), (i, 1, m)), const_sum, evaluate=False) \
        if const_sum != 0 else scale * sp.Sum(ind(final_loss), (i, 1, m))
    steps.append(Step("Separate the constant", sp.Eq(NLL, split, evaluate=False),
                      _REASONS["split"],
                      display=sp.Eq(NLL, _scaled_sum(scale, sp.Sum(ind(final_loss), (i, 1, m)),
                                                     const_sum), evaluate=False)))
    if link and link_name == "binary cross-entropy on logits":
        ys = sp.Symbol("ytilde", integer=True)
        eta = etas[wrt[0]]
        steps.append(Step("Margin form", sp.Eq(final_loss, sp.log(1 + sp.exp(-ys * eta)),
                                                evaluate=False),
                          "with labels ytilde = 2y - 1 in {-1, 1} (check y = 0 and y = 1): the "
                          "same loss is the logistic loss log(1 + exp(-ytilde eta))"))
    under = (sp.Tuple(*wrt_syms) if len(wrt_syms) > 1 else wrt_syms[0]) if not link else None
    hat = sp.Tuple(*hats) if len(hats) > 1 else hats[0]
    if link:
        hat = sp.Tuple(*[_hat(w[0].name) for w in lin_syms.values()]) \
            if len(lin_syms) > 1 else _hat(next(iter(lin_syms.values()))[0].name)
        extra_wrt = [n for n in wrt if n not in link]
        if extra_wrt:
            hat = sp.Tuple(*(hat if isinstance(hat, sp.Tuple) else (hat,)),
                           *[_hat(n) for n in extra_wrt])
        ws = [w[0] for w in lin_syms.values()] + [psyms[n] for n in extra_wrt]
        under = sp.Tuple(*ws) if len(ws) > 1 else ws[0]
    argmin = ArgMin(sp.Sum(ind(final_loss), (i, 1, m)) / m, under)
    name_now = link_name if link else loss_name
    reason = _REASONS["argmin"] + (f": the mean {name_now}" if name_now else
                                   " (no named loss fits; this is the loss as derived)")
    steps.append(Step("Maximum likelihood = minimum loss", sp.Eq(hat, argmin, evaluate=False),
                      reason))

    # ---- numerics: argument symbols
    args: dict[str, Any] = {"__data__": data if not vector else vector_info["y"]}
    for n in names:
        if psyms[n] in subs_fixed or n in link:
            continue
        args[n] = psyms[n]
    for n, e in etas.items():
        args["eta" if len(etas) == 1 else f"eta_{n}"] = e

    out = Derivation(
        family=family, wrt=tuple(("w" if len(link) == 1 else f"w_{n}") if n in link else n
                                 for n in wrt),
        fixed={n: v for n, v in fixed_repr.items()}, link={n: get_link(v).name
                                                          for n, v in link.items()},
        loss_name=(link_name if link else loss_name), loss_expr=final_loss, scale=scale,
        constant=const_sum, steps=steps, nll_expr=split, data_symbol=data,
        term_nll=nll_link if link else nll_term, term_loss=final_loss,
        term_constant=const_term, arg_symbols=args, logdensity=logp, param_symbols=psyms,
        wrt_symbols=tuple(wrt_syms), vector=vector, vector_info=vector_info, note=note,
        symbols={"m": m, "i": i, "x": data, **etas},
    )
    if prior is not None:
        _add_prior(out, prior, prior_scale, link, lin_syms, wrt_syms, scale, hat, final_loss,
                   ind, i, m, const_sum)
    return out


def _textbook_density(sd, subs_fixed: dict, x, data):
    """The density as the family file writes it (:attr:`SymbolicDensity.display`, a tuple of
    factors), with the fixed values and the data symbol put in; ``None`` when the family
    declares no display form."""
    factors = getattr(sd, "display", None)
    if not factors:
        return None
    out = Factors(*[sp.sympify(f, strict=True).subs(subs_fixed) for f in factors])
    return out if data is x else _rename(out, x, data)


def _rename(expr, old, new):
    """``expr`` with the symbol ``old`` replaced by ``new`` and nothing re-evaluated, so a
    textbook form keeps its order (``subs`` would rebuild x_i σ √(2π) as SymPy orders it)."""
    with sp.evaluate(False):
        return expr.xreplace({old: new})


def _scaled_sum(scale, total, const):
    r"""``a Σ loss_i + c`` for typesetting: the scale before the sum
    (:math:`\frac{1}{2\sigma^2}\sum_i (x_i-\mu)^2`, not the sum over :math:`2\sigma^2`),
    the terms of c after it."""
    first = total if scale == 1 else Factors(scale, total)
    if const == 0:
        return first
    return sp.Add(first, *sp.Add.make_args(const), evaluate=False)


def _fixed_phrase(family, wrt, fixed_repr) -> str:
    held = [n for n in fixed_repr if n not in wrt and n in family.estimable_names]
    return f"; {', '.join(held)} held fixed" if held else ""


def _sum_constant(ci, c_term, data, i, m, eta_bases):
    if c_term == 0:
        return sp.Integer(0)
    if c_term.has(data) or any(c_term.has(b) for b in eta_bases):
        return sp.Sum(ci, (i, 1, m))
    return sp.expand(m * c_term, log=False)


def _tidy(e):
    """Readable form: expand logs, cancel exp/log pairs, keep it short."""
    e = sp.expand_log(e, force=True)
    try:
        s = sp.simplify(e)
    except Exception:  # pragma: no cover
        return e
    return s if sp.count_ops(s) <= sp.count_ops(e) else e


def _numerically_equal(a, b, syms, probe, data, n: int = 6) -> bool:
    rng = np.random.default_rng(0)
    free = (a.free_symbols | b.free_symbols)
    for _ in range(n):
        vals = dict(probe)
        for s in free:
            if s in vals:
                continue
            if s is data and data.is_integer:
                vals[s] = int(rng.integers(0, 2))
            elif s.is_positive:
                vals[s] = float(rng.uniform(0.3, 3.0))
            else:
                vals[s] = float(rng.normal())
        va, vb = complex(a.subs(vals).evalf()), complex(b.subs(vals).evalf())
        if not np.isclose(va, vb, rtol=1e-9, atol=1e-11):
            return False
    return True


def _add_prior(d: Derivation, prior: str, prior_scale: Any, link, lin_syms, wrt_syms, scale,
               hat, final_loss, ind, i, m, const_sum) -> None:
    r"""MAP: add :math:`-\log\pi(w)` and write it as :math:`a\lambda\,\mathrm{penalty}`."""
    kind = str(prior).lower()
    if kind in ("normal", "gauss", "l2", "ridge"):
        kind = "gaussian"
    if kind in ("l1", "lasso"):
        kind = "laplace"
    if kind not in ("gaussian", "laplace"):
        raise DerivationError(f"unknown prior {prior!r} (choose from: gaussian, laplace)")
    tau = sp.Symbol("tau", positive=True) if prior_scale is None else _number(prior_scale)
    if prior_scale is not None and float(tau) <= 0:
        raise DerivationError(f"prior_scale must be > 0; got {prior_scale!r}")
    j = sp.Symbol("j", integer=True, positive=True)
    if link:
        dsym = next(iter(lin_syms.values()))[0].shape[0]
        comps = [(sp.IndexedBase(w.name), dsym) for w, _ in lin_syms.values()]
        pen = sp.Add(*[sp.Sum((W[j] ** 2) if kind == "gaussian" else sp.Abs(W[j]), (j, 1, dd))
                       for W, dd in comps])
        count = len(comps) * dsym
        what = "each weight w_j"
    else:
        real = [w for w in wrt_syms if not w.is_positive]
        if len(real) != len(wrt_syms):
            raise DerivationError("a Gaussian/Laplace prior needs real-valued parameters; "
                                  f"{', '.join(str(w) for w in wrt_syms if w.is_positive)} "
                                  "is positive")
        pen = sp.Add(*[(w ** 2) if kind == "gaussian" else sp.Abs(w) for w in wrt_syms])
        count = len(wrt_syms)
        what = ", ".join(str(w) for w in wrt_syms)
    if kind == "gaussian":
        neglog = pen / (2 * tau ** 2)
        pconst = count * sp.log(tau) + count * sp.log(2 * sp.pi) / 2
        lam = sp.simplify(1 / (2 * scale * tau ** 2))
        name = "L2 (ridge)"
        rdist = f"Gaussian prior: {what} ~ N(0, tau^2) independently"
    else:
        neglog = pen / tau
        pconst = count * sp.log(2 * tau)
        lam = sp.simplify(1 / (scale * tau))
        name = "L1 (lasso)"
        rdist = f"Laplace prior: {what} ~ Laplace(0, tau) independently"
    lhs = sp.Function("NLP")(*[s for s in (hat if isinstance(hat, sp.Tuple) else [hat])])
    d.steps.insert(len(d.steps) - 1, Step(
        "Prior", sp.Eq(-sp.log(sp.Function("pi")(sp.Symbol("w" if link else "theta"))),
                       sp.Add(neglog, pconst, evaluate=False), evaluate=False),
        rdist + "; MAP maximises log-likelihood + log prior"))
    objective = sp.Add(scale * sp.Add(sp.Sum(ind(final_loss), (i, 1, m)), lam * pen,
                                      evaluate=False), const_sum, pconst, evaluate=False)
    d.steps.insert(len(d.steps) - 1, Step(
        "Penalised objective (MAP)", sp.Eq(lhs, objective, evaluate=False),
        f"factor out a: the prior is a {name} penalty with strength lambda = 1/(a tau^2)"
        if kind == "gaussian" else f"factor out a: the prior is a {name} penalty with "
        "strength lambda = 1/(a tau)"))
    d.steps[-1] = Step(d.steps[-1].title, sp.Eq(
        d.steps[-1].expr.lhs, ArgMin(sp.Add(sp.Sum(ind(final_loss), (i, 1, m)), lam * pen,
                                            evaluate=False), d.steps[-1].expr.rhs.args[1]),
        evaluate=False), "MAP: the penalised loss; a > 0 and the constants do not move the argmin")
    d.prior, d.penalty, d.penalty_strength, d.penalty_name = kind, pen, lam, name
    d.prior_constant = pconst
    d.note = (d.note + "; " if d.note else "") + f"{name} penalty, lambda = {sp.sstr(lam)}"


__all__ = ["LOSS_TEMPLATES", "_positive", "build_derivation"]
