r"""The :class:`Derivation` result object and its renderings.

A derivation holds SymPy expressions for the model, each :class:`Step` of the
argument (with a one-line reason), and the result

.. math:: \mathrm{NLL}(\theta) = a \sum_{i=1}^{m} \mathrm{loss}_i(\theta) + c ,

with the named loss, its exact positive scale :math:`a` and the constant
:math:`c` (free of the estimated parameters) all kept. Numeric versions of the
NLL, the loss, :math:`a` and :math:`c` are lambdified on first use.

This module does not import SymPy at import time (``import mlekit`` stays
light); the rendering methods import it when called.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..domains import as_float_array, first_bad_index
from ..errors import DataError, DerivationError, ParameterError, SupportError

__all__ = ["Derivation", "Step"]

_MODULES_EXTRA = None

#: what :attr:`Derivation.loss_name` says when no named loss fits the derived one
NO_NAMED_LOSS = "no named loss"


def _softplus(u):
    return np.logaddexp(0.0, u)


def _logsumexp(*a):
    return np.logaddexp.reduce(np.broadcast_arrays(*a), axis=0)


def _stabilise(expr):
    """Rewrite log(1 + e^u), log σ(u), log(1 − σ(u)) and log Σ e^{u_j} into stable forms."""
    import sympy as sp

    sp_f = sp.Function("softplus")
    lse = sp.Function("logsumexp")
    gammaln = sp.Function("gammaln")  # log Γ, not re-evaluated to log(gamma(n)) by SymPy

    def log_term(t):
        """log t for a positive product, as a sum of logs, with log Γ and log n! kept as
        ``gammaln`` (Γ(601) overflows; its log does not)."""
        e = sp.expand_log(sp.log(t), force=True)
        return e.replace(lambda u: isinstance(u, sp.log) and isinstance(
            u.args[0], (sp.gamma, sp.factorial)), lambda u: gammaln(
                u.args[0].args[0] + (1 if isinstance(u.args[0], sp.factorial) else 0)))

    def softplus_arg(arg):
        # 1 + exp(u) -> u
        if isinstance(arg, sp.Add) and len(arg.args) == 2 and sp.S.One in arg.args:
            other = arg.args[0] if arg.args[1] == 1 else arg.args[1]
            if isinstance(other, sp.exp):
                return other.args[0]
        return None

    def rule(e):
        if not isinstance(e, sp.log):
            return None
        a = e.args[0]
        log_imp = getattr(getattr(a, "func", None), "_log_imp_", None)
        if log_imp is not None:  # a function that evaluates its own log (Tweedie's series)
            return log_imp(*a.args)
        u = softplus_arg(a)
        if u is not None:
            return sp_f(u)
        if isinstance(a, sp.Pow) and a.exp == -1:  # log(1/(1 + exp(u))) = -softplus(u)
            u = softplus_arg(a.base)
            if u is not None:
                return -sp_f(u)
        if isinstance(a, sp.Add) and len(a.args) == 2 and sp.S.One in a.args:
            other = a.args[0] if a.args[1] == 1 else a.args[1]
            # log(1 - 1/(1 + exp(u))) = log(exp(u)/(1+exp(u))) = u - softplus(u) = -softplus(-u)
            if isinstance(other, sp.Mul) and other.args[0] == -1 and len(other.args) == 2:
                inner = other.args[1]
                if isinstance(inner, sp.Pow) and inner.exp == -1:
                    u = softplus_arg(inner.base)
                    if u is not None:
                        return -sp_f(-u)
        if isinstance(a, sp.Add) and len(a.args) > 1 and all(isinstance(t, sp.exp)
                                                             for t in a.args):
            return lse(*[t.args[0] for t in a.args])
        if isinstance(a, sp.Add) and len(a.args) > 1 and all(t.is_positive for t in a.args) \
                and any(t.has(sp.exp) for t in a.args):
            # log Σ_j w_j f_j (a mixture): log-sum-exp of the terms' logs, finite where every
            # density underflows
            return lse(*[log_term(t) for t in a.args])
        return None

    def walk(e):
        if not e.args:
            return e
        e = e.func(*[walk(a) for a in e.args])
        r = rule(e)
        return r if r is not None else e

    return walk(expr)


def _modules():
    from scipy import special

    return [{"softplus": _softplus, "logsumexp": _logsumexp, "gamma": special.gamma,
             "gammaln": special.gammaln,
             "loggamma": special.gammaln, "polygamma": special.polygamma,
             "digamma": special.digamma, "beta": special.beta, "erf": special.erf,
             "erfc": special.erfc, "factorial": lambda v: special.gamma(np.asarray(v) + 1.0),
             "Heaviside": lambda v, h0=0.5: np.heaviside(v, h0)},
            "scipy", "numpy"]


@dataclass(frozen=True)
class Step:
    """One step of a derivation: a title, a SymPy relation and a one-line reason.

    ``display`` (optional) is the same relation written for typesetting — the density as
    the family file declares it (:attr:`SymbolicDensity.display`), a scale set before its
    sum — and is what LaTeX, Markdown and MathML show; ``expr`` stays the exact object that
    text output, JSON and computations use.
    """

    title: str
    expr: Any
    reason: str
    display: Any = None

    @property
    def shown(self) -> Any:
        """The relation as typeset: :attr:`display` when given, else :attr:`expr`."""
        return self.expr if self.display is None else self.display

    def __str__(self) -> str:
        from ._print import sstr

        return f"{self.title}: {sstr(self.expr)}  [{self.reason}]"


@dataclass
class Derivation:
    r"""The loss implied by a likelihood, derived step by step.

    Attributes
    ----------
    family : the :class:`~mlekit.families.Family` (or its title)
    wrt : names of the estimated parameters (weight vectors for a conditional model)
    fixed : parameters held fixed, name -> value (a number or the symbol itself)
    link : parameter -> link name for a conditional model (``{}`` otherwise)
    loss_name : the recognised named loss, or ``"no named loss"`` (the same words the
        text, report and CLI show; :attr:`named` is then False)
    loss_expr : the per-observation loss :math:`\mathrm{loss}_i` (SymPy)
    scale : the exact positive scale :math:`a` (SymPy)
    constant : :math:`c`, the terms free of the estimated parameters, summed over
        the m observations (SymPy, in ``m`` and the data)
    steps : the argument, each :class:`Step` with its reason
    nll_expr : the full NLL, :math:`a\sum_i \mathrm{loss}_i + c` (SymPy)
    penalty, penalty_strength, penalty_name : the MAP penalty from a prior
        (``None`` without a prior); the objective is
        :math:`a[\sum_i \mathrm{loss}_i + \lambda\,\mathrm{penalty}] + c + c_\pi`
    note : the named loss's usual description

    Examples
    --------
    >>> import mlekit as mk
    >>> d = mk.derive("normal", wrt="mu")            # sigma held fixed
    >>> d.loss_name
    'squared error'
    >>> d.loss_expr, d.scale
    ((-mu + x)**2, 1/(2*sigma**2))
    >>> d.constant
    m*log(sigma) + m*log(2*pi)/2
    """

    family: Any
    wrt: tuple[str, ...]
    fixed: dict[str, Any]
    link: dict[str, str]
    loss_name: str | None
    loss_expr: Any
    scale: Any
    constant: Any
    steps: list[Step]
    nll_expr: Any
    # per-observation pieces and symbols, for numerics and the calculus methods
    data_symbol: Any = None
    term_nll: Any = None  # -log p of ONE observation (data symbol, parameter symbols, eta)
    term_loss: Any = None
    term_constant: Any = None
    arg_symbols: dict[str, Any] = field(default_factory=dict)  # numeric kwarg name -> symbol
    logdensity: Any = None  # log p of one observation in the model's parameters (no link)
    param_symbols: dict[str, Any] = field(default_factory=dict)
    wrt_symbols: tuple[Any, ...] = ()
    vector: bool = False  # one-hot data over k classes (Categorical)
    vector_info: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    prior: str | None = None
    penalty: Any = None
    penalty_strength: Any = None
    penalty_name: str | None = None
    prior_constant: Any = None
    symbols: dict[str, Any] = field(default_factory=dict)
    fisher_method: str | None = None  # how fisher_information() was obtained
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.loss_name:  # one spelling everywhere: attribute, text, report, CLI
            self.loss_name = NO_NAMED_LOSS

    # ------------------------------------------------------------------ summary
    @property
    def title(self) -> str:
        fam = getattr(self.family, "title", str(self.family))
        what = ", ".join(self.wrt)
        kind = "conditional " if self.link else ""
        links = "; ".join(f"{p} through the {lk} link" for p, lk in self.link.items())
        return f"{kind}MLE for {fam} w.r.t. {what}" + (f" ({links})" if links else "")

    @property
    def named(self) -> bool:
        return self.loss_name != NO_NAMED_LOSS

    # ------------------------------------------------------------------ numerics
    def _lam(self, expr, key: str, k: int | None = None):
        ck = (key, k)
        if ck in self._cache:
            return self._cache[ck]
        import sympy as sp

        names = list(self.arg_symbols)
        syms = [self.arg_symbols[n] for n in names]
        if self.vector:
            expr, syms, names = self._expand_vector(expr, syms, names, k)
        elif any(isinstance(s, sp.IndexedBase) for s in syms):
            fn = self._lam_weights(expr, syms)
            self._cache[ck] = (fn, names)
            return fn, names
        fn = sp.lambdify([self.data_symbol if not self.vector else syms[0], *syms[1:]],
                         _stabilise(expr), modules=_modules())
        self._cache[ck] = (fn, names)
        return fn, names

    def _lam_weights(self, expr, syms):
        """Lambdify a scalar-data expression with a vector parameter (a mixture's weights
        ``w[1] … w[k]``): each ``w[j]`` becomes a plain argument, fed ``w[..., j − 1]``."""
        import sympy as sp

        flat, spec = [self.data_symbol], []
        rep = {}
        for s in syms[1:]:
            if isinstance(s, sp.IndexedBase):
                idx = sorted({int(a.indices[0]) for a in expr.atoms(sp.Indexed)
                              if a.base == s})
                parts = [sp.Symbol(f"_{s.name}_{j}", positive=True) for j in idx]
                rep.update({s[j]: v for j, v in zip(idx, parts, strict=True)})
                flat += parts
                spec.append(idx)
            else:
                flat.append(s)
                spec.append(None)
        raw = sp.lambdify(flat, _stabilise(expr.xreplace(rep)), modules=_modules())

        bases = [s for s in syms[1:]]
        owner = getattr(self.family, "title", str(self.family))
        full = self.logdensity if self.logdensity is not None else expr
        # the length each vector must have: its top entry in the model's log-density (a
        # loss or a constant may use fewer entries)
        top = {s: max([int(a.indices[0]) for a in full.atoms(sp.Indexed) if a.base == s]
                      + [j for j in idx or [0]])
               for s, idx in zip(bases, spec, strict=True) if idx is not None}

        def fn(x, *args):
            out = [x]
            for a, idx, s in zip(args, spec, bases, strict=True):
                if idx is None:
                    out.append(a)
                else:
                    v = np.asarray(a, float)
                    k = top[s]
                    if k and (v.ndim == 0 or v.shape[-1] != k):
                        raise ParameterError(
                            f"{owner}: {s.name} has {v.shape[-1] if v.ndim else 1} "
                            f"entries; this derivation is written for {k} "
                            f"({s.name}[1] … {s.name}[{k}]): give {k} values")
                    out += [v[..., j - 1] for j in idx]
            return raw(*out)

        return fn

    def _expand_vector(self, expr, syms, names, k):
        """Write Σ_c over k classes out explicitly, Indexed -> plain symbols (one-hot data)."""
        import sympy as sp

        info = self.vector_info
        kk = info["k"]
        e = expr.subs(kk, k).doit()
        bases = [info["y"], *[s for s in syms if isinstance(s, sp.IndexedBase)]]
        rep, groups = {}, {}
        for b in bases:
            vec = [sp.Symbol(f"_{b.name}_{j}", real=True) for j in range(1, k + 1)]
            groups[b] = vec
            for j in range(1, k + 1):
                rep[b[j]] = vec[j - 1]
        e = e.xreplace(rep)
        new_syms = [sp.Matrix(groups[info["y"]])]
        new_names = ["__y__"]
        for n, s in zip(names, syms, strict=True):
            if s is info["y"] or n == "__data__":
                continue
            new_syms.append(sp.Matrix(groups[s]) if s in groups else s)
            new_names.append(n)
        return e, new_syms, new_names

    def _check_params(self, params: dict[str, Any]) -> None:
        """Each value given for a family parameter must lie in its domain; a linear
        predictor, design matrix or weight vector must be finite (ParameterError naming it).
        """
        fam = self.family
        names = set(getattr(fam, "param_names", ()))
        owner = getattr(fam, "title", str(fam))
        for n, v in params.items():
            if n in names and n not in self.link:
                fam.parameter(n).domain.check(v, what=n, owner=owner, error=ParameterError)
            elif n in self.arg_symbols or n == "X" or n.startswith("w"):
                arr = np.asarray(v) if not isinstance(v, (str, bytes)) else None
                if arr is None or arr.dtype.kind not in "biuf":
                    raise ParameterError(f"{owner}: {n} must be numeric; got {v!r}")
                bad = ~np.isfinite(arr.astype(float))
                if bad.any():
                    where = f" at index {first_bad_index(bad)}" if arr.ndim else ""
                    raise ParameterError(f"{owner}: {n} contains a non-finite value{where}; "
                                         "give finite numbers")

    def _check_data(self, x: Any, params: dict[str, Any]) -> np.ndarray:
        """The data must lie in the family's support (SupportError naming the first bad
        index, as :func:`mlekit.fit` does); vector data need only be finite numbers."""
        fam = self.family
        what = "y" if self.link else "x"
        if self.vector or not hasattr(fam, "check_data"):
            arr = as_float_array(x, what=what)
            bad = ~np.isfinite(arr)
            if bad.any():
                raise DataError(f"{getattr(fam, 'title', fam)}: {what} contains a non-finite "
                                f"value at index {first_bad_index(bad)}")
            return arr
        known = {n: v for n, v in params.items() if n in getattr(fam, "param_names", ())
                 and n not in self.link}
        known.update({n: v for n, v in self.fixed.items() if _is_number(v)})
        try:
            support = fam.support_of(**known)
        except (KeyError, TypeError, ValueError):
            support = fam.support
        return support.check(x, what=what, owner=getattr(fam, "title", ""),
                             error=SupportError)

    def _call(self, expr, key: str, x: Any, params: dict[str, Any]):
        self._check_params(params)
        if key != "scale":
            x = self._check_data(x, params)
        params = dict(params)
        if self.link and "X" in params:  # linear predictors from a design matrix and weights
            X = np.asarray(params.pop("X"), float)
            for n in list(self.arg_symbols):
                if n.startswith("eta") and n not in params:
                    wname = "w" + n[3:]
                    if wname not in params:
                        raise DerivationError(f"give {n}= or X= with {wname}=")
                    params[n] = X @ np.asarray(params.pop(wname), float)
        for n, v in self.fixed.items():  # values fixed at numbers are part of the expressions
            if _is_number(v):
                params.pop(n, None)
        free = expr.free_symbols | {a for a in expr.atoms(_indexed_base())}
        missing = [n for n, s in self.arg_symbols.items()
                   if n != "__data__" and n not in params and s in free]
        for n in self.arg_symbols:
            if n != "__data__" and n not in params and n not in missing:
                params[n] = 0.0
        if missing:
            raise DerivationError(f"missing value(s) for {', '.join(missing)}")
        extra = set(params) - set(self.arg_symbols)
        if extra:
            raise DerivationError(
                f"unknown argument(s) {', '.join(sorted(extra))}; this derivation takes "
                f"{', '.join(n for n in self.arg_symbols if n != '__data__')}"
            )
        x = np.asarray(x, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.vector:
                vec = [n for n, s in self.arg_symbols.items()
                       if n != "__data__" and isinstance(s, _indexed_base())]
                first = np.asarray(params[vec[0]], float)
                k = int(np.shape(first)[-1])
                fn, names = self._lam(expr, key, k)
                if getattr(self.family, "event_ndim", 0):  # data are vectors (Dirichlet)
                    onehot = np.moveaxis(x, -1, 0)
                    x = x[..., 0]
                else:  # class labels -> one-hot
                    onehot = np.moveaxis(np.eye(k)[x.astype(np.intp)], -1, 0)
                args = [onehot[..., None]]
                for n in names[1:]:
                    v = np.asarray(params[n], float)
                    args.append(np.moveaxis(v, -1, 0)[..., None] if v.ndim else v)
                out = np.asarray(fn(*args), dtype=float)
                out = np.squeeze(out, axis=-1) if out.ndim and out.shape[-1] == 1 else out
                out = out.reshape(np.broadcast_shapes(x.shape, np.shape(first)[:-1]))
                return out
            fn, names = self._lam(expr, key)
            args = [x, *[np.asarray(params[n], float) for n in names[1:]]]
            out = np.asarray(fn(*args), dtype=float)
            if key in ("nll", "loss", "constant"):  # one value per observation
                out = np.broadcast_to(out, np.broadcast_shapes(out.shape, x.shape))
            return out

    @property
    def loss_text(self) -> str:
        """The per-observation loss as text, written as a reader would: ``(x - mu)**2``
        (``loss_expr`` is the SymPy expression, whose repr keeps SymPy's term order,
        ``(-mu + x)**2``)."""
        from ._print import sstr

        return sstr(self.loss_expr)

    def nll(self, x: Any, **params: Any) -> float:
        r"""The negative log-likelihood :math:`-\sum_i \log p(x_i;\theta)` at ``params``.

        Parameters are passed by name (``mu=``, ``sigma=``); a conditional derivation
        takes the linear predictor ``eta=`` (or ``X=`` and ``w=``). Categorical data are
        class labels 0..k-1.
        """
        return float(np.sum(self._call(self.term_nll, "nll", x, params)))

    def loss(self, x: Any, **params: Any) -> np.ndarray:
        """The per-observation named loss (or the derived loss) at ``params``."""
        x = np.asarray(x, float)
        out = self._call(self.term_loss, "loss", x, params)
        return np.broadcast_to(out, np.broadcast_shapes(np.shape(out), x.shape[: x.ndim]))

    def scale_value(self, **params: Any) -> float:
        """The scale :math:`a` as a number (it may depend on fixed parameters)."""
        self._check_params(params)
        if not self.scale.free_symbols:
            return float(self.scale)
        return float(np.mean(self._call(self.scale, "scale", 0.0, _only(params, self))))

    def constant_value(self, x: Any, **params: Any) -> float:
        """The constant :math:`c = \\sum_i c_i` for the data ``x``."""
        x = np.asarray(x, float)
        vals = self._call(self.term_constant, "constant", x, params)
        n = x.shape[0] if x.ndim else 1
        return float(np.sum(np.broadcast_to(vals, x.shape if x.ndim else ())) if np.ndim(vals)
                     else n * float(vals))

    # ------------------------------------------------------------------ calculus
    @property
    def score_equations(self) -> list:
        r"""The score equations :math:`\sum_i \partial_\theta \log p(x_i;\theta) = 0`."""
        from ._calculus import score_equations

        return score_equations(self)

    @property
    def mle(self) -> dict | None:
        r"""Closed-form MLE ``{name: expr}`` in sample means :math:`\overline{f(x)}`, or ``None``
        ("no closed form"; then :attr:`score_equations` must be solved numerically)."""
        from ._calculus import closed_form_mle

        return closed_form_mle(self)

    @property
    def mle_status(self) -> str:
        """``"closed form"`` or ``"no closed form (solve the score equations numerically)"``."""
        return ("closed form" if self.mle is not None
                else "no closed form (solve the score equations numerically)")

    def mle_value(self, x: Any, **fixed: Any) -> dict[str, float] | None:
        """Evaluate :attr:`mle` on the data ``x`` (``None`` when there is no closed form)."""
        from ._calculus import evaluate_mle

        self._check_params(fixed)
        x = self._check_data(x, fixed)
        return evaluate_mle(self, x, fixed)

    def fisher_information(self):
        r"""Symbolic expected information of one observation,
        :math:`I(\theta) = -E[\partial^2 \log p / \partial\theta\,\partial\theta^\top]`."""
        from ._calculus import fisher_information

        return fisher_information(self)

    def fisher_information_value(self, **params: Any):
        r""":meth:`fisher_information` at numeric parameter values (scalars), as a float
        array of shape (k, k) in the order of ``wrt``; an infinite series in it (the
        Negative Binomial's :math:`E\,\psi'(X + 1/lpha)`) is summed numerically until its
        terms stop contributing."""
        import sympy as sp

        from ._known import numeric_value

        self._check_params(params)
        M = self.fisher_information()
        if isinstance(M, sp.FunctionMatrix):  # k × k in an indexed parameter (Dirichlet)
            (name, base), = self.param_symbols.items()
            v = np.asarray(params[name], float)
            k = v.size
            vals = {base[c + 1]: float(v[c]) for c in range(k)}
            out = np.empty((k, k))
            lam = M.lamda
            for a in range(k):
                for b in range(k):
                    e = lam(a + 1, b + 1).subs(self.vector_info["k"], k).doit()
                    out[a, b] = float(e.subs(vals))
            return out
        subs = {self.param_symbols[k]: float(v) for k, v in params.items()
                if k in self.param_symbols}
        return np.array([[numeric_value(M[a, b], subs) for b in range(M.shape[1])]
                         for a in range(M.shape[0])], dtype=float)

    # ------------------------------------------------------------------ rendering
    def _result_lines(self):
        import sympy as sp

        name = self.loss_name or "no named loss"
        rows = [("named loss", name), ("loss_i", self.loss_expr), ("scale a", self.scale),
                ("constant c", self.constant)]
        if self.penalty is not None:
            rows += [("penalty", self.penalty), ("strength lambda", self.penalty_strength)]
        return sp, rows

    def to_text(self, pretty: bool = True) -> str:
        """Plain text: each step with its reason, then the result (Unicode math)."""
        from ._print import pretty as _pretty
        from ._print import sstr

        def show(e):
            if isinstance(e, str):
                return e
            return _pretty(e) if pretty else sstr(e)

        out = [f"Derivation: {self.title}", ""]
        for n, st in enumerate(self.steps, 1):
            out.append(f"{n}. {st.title} — {st.reason}")
            out.extend("   " + ln for ln in show(st.expr).splitlines())
            out.append("")
        _, rows = self._result_lines()
        out.append("Result: NLL = a · Σ loss_i + c" + (" (+ prior penalty)" if self.penalty
                                                        is not None else ""))
        for label, v in rows:
            text = show(v).splitlines()
            out.append(f"  {label}: {text[0] if len(text) == 1 else ''}")
            if len(text) > 1:
                out.extend("    " + ln for ln in text)
        if self.note:
            out.append(f"  ({self.note})")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Derivation {self.title}: {self.loss_name or 'no named loss'}>"

    def _symbol_names(self) -> dict:
        r"""SymPy symbol -> the LaTeX its family declares for it (``rate`` -> ``\lambda``,
        Gamma's ``shape`` -> ``k``), for the parameters whose declared symbol is one letter
        or one command; others print as SymPy prints them."""
        import sympy as sp

        from ._display import safe_tex

        out = {}
        fam = self.family
        for n, s in self.param_symbols.items():
            if not isinstance(s, sp.Symbol):
                continue
            try:
                tex = fam.parameter(n).latex
            except (AttributeError, KeyError, TypeError, ValueError):
                continue
            if safe_tex(tex):
                out[s] = tex
        return out

    def _tex(self, e: Any) -> str:
        from ._print import latex

        return e if isinstance(e, str) else latex(e, self._symbol_names())

    def _result_tex(self) -> list[tuple[str, str, str]]:
        """(html label, LaTeX of the left-hand side, LaTeX of the value) of each result row."""
        _, rows = self._result_lines()
        out = []
        for label, v in rows[1:]:
            lhs, html_label = _ROW_TEX.get(label, (rf"\text{{{_tex_escape(label)}}}",
                                                  html.escape(label)))
            out.append((html_label, lhs, self._tex(v)))
        return out

    def to_latex(self) -> str:
        r"""LaTeX: an ``align*``-free list of display equations with the reasons as text.

        Compiles with ``pdflatex`` and the ``amsmath`` package (``\operatorname``,
        ``\underset``); the symbols are the family's declared ones (``\lambda`` for a rate),
        estimates carry hats and the density is in the family's textbook form.
        """
        lines = [f"\\textbf{{Derivation: {_tex_escape(self.title)}}}", ""]
        for n, st in enumerate(self.steps, 1):
            lines.append(f"\\textbf{{{n}. {_tex_escape(st.title)}}} --- {_tex_escape(st.reason)}")
            lines.append(f"\\[ {self._tex(st.shown)} \\]")
        _, rows = self._result_lines()
        lines.append(f"\\textbf{{Result}}: named loss: {_tex_escape(rows[0][1])}")
        for _, lhs, value in self._result_tex():
            lines.append(f"\\[ {lhs} = {value} \\]")
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        parts = [f"\\text{{{_tex_escape(st.title)}: }} {self._tex(st.shown)}"
                 for st in self.steps]
        parts.append(f"\\text{{named loss: {_tex_escape(self.loss_name or 'no named loss')}}};"
                     f"\\ a = {self._tex(self.scale)},\\ c = {self._tex(self.constant)}")
        return "$\\displaystyle \\begin{array}{l}" + " \\\\ ".join(parts) + "\\end{array}$"

    def to_markdown(self) -> str:
        """Markdown with ``$$ … $$`` math blocks (GitHub, Jupyter)."""
        out = [f"### Derivation: {self.title}", ""]
        for n, st in enumerate(self.steps, 1):
            out += [f"{n}. **{st.title}** — {st.reason}", "", f"$$ {self._tex(st.shown)} $$", ""]
        _, rows = self._result_lines()
        out.append(f"**Result**: NLL = a · Σ loss_i + c, named loss: **{rows[0][1]}**"
                   + (f" ({self.note})" if self.note else ""))
        out.append("")
        for _, lhs, value in self._result_tex():
            out += [f"- $ {lhs} = {value} $"]
        return "\n".join(out)

    def to_mathml(self) -> str:
        """One HTML fragment: the steps as an ordered list, each formula a ``<math>`` element
        (presentation MathML, rendered by browsers without any network).

        The MathML is converted from the same LaTeX as :meth:`to_latex` (latex2mathml), so
        it shows ∏ and Σ with their limits, ℓ(θ), NLL(θ), hats on the estimates, argmin
        with its variable under it and the density in its textbook form.
        """
        from ._print import latex_to_mathml

        esc = html.escape
        out = ['<div class="mlekit-derivation">', f"<h3>Derivation: {esc(self.title)}</h3>", "<ol>"]
        for st in self.steps:
            out.append(f"<li><p><strong>{esc(st.title)}</strong> — {esc(st.reason)}</p>"
                       f"{latex_to_mathml(self._tex(st.shown))}</li>")
        out.append("</ol>")
        _, rows = self._result_lines()
        out.append(f"<p><strong>Result</strong>: NLL = a · Σ loss<sub>i</sub> + c; named loss: "
                   f"<strong>{esc(rows[0][1])}</strong>"
                   + (f" ({esc(self.note)})" if self.note else "") + "</p>")
        out.append("<dl>")
        for label, lhs, value in self._result_tex():
            out.append(f"<dt>{label}</dt><dd>{latex_to_mathml(f'{lhs} = {value}')}</dd>")
        out.append("</dl></div>")
        return "\n".join(out)


# result rows: label -> (LaTeX of the left-hand side, HTML label)
_ROW_TEX = {
    "loss_i": (r"\mathrm{loss}_{i}", "loss<sub>i</sub>"),
    "scale a": ("a", "scale a"),
    "constant c": ("c", "constant c"),
    "penalty": (r"\operatorname{penalty}", "penalty"),
    "strength lambda": (r"\lambda", "strength λ"),
}


def _indexed_base():
    from sympy import IndexedBase

    return IndexedBase


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating))


def _only(params: dict, d: Derivation) -> dict:
    return {k: v for k, v in params.items() if k in d.arg_symbols}


def _tex_escape(s: str) -> str:
    rep = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
           "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}
    return "".join(rep.get(ch, ch) for ch in str(s))
