r"""Design matrices from a parsed model formula, evaluated with NumPy only (never ``eval``).

:func:`mlekit.grammar.parse_model_formula` turns the user's text into a tree of
whitelisted pieces; :class:`FormulaDesign` evaluates that tree on a DataFrame
(columns, arithmetic, ``log``/``exp``/``sqrt``…, ``center``/``scale``/``poly``)
and builds the design with treatment coding. No text ever reaches formulaic,
patsy or a Python evaluator.

Coding (the rule of patsy and formulaic, so coefficients match statsmodels):
terms are grouped by their numeric factors and taken in order of degree; for a
term with categorical factors :math:`A_1, …, A_m` every subset
:math:`S ⊆ \{A_1…A_m\}` not already spanned by an earlier term of the group is
added with reduced (treatment) coding, and a subset that is a superset by one
factor of another absorbs it, which turns that factor to full (indicator)
coding. With an intercept, ``C(g)`` gives ``C(g)[T.b] …`` (the reference
level dropped); without one, or when a lower-order term is absent, the
first such factor keeps all its levels, so the design stays full rank.

State learned when fitting and re-applied by :meth:`FormulaDesign.matrix` on new
data: categorical levels (reference first), centring and scaling constants, the
recurrence coefficients of ``poly``. At prediction a missing column, a level not
seen in fitting, or a NaN in a used column raises a named
:class:`~mlekit.errors.DataError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations, product
from typing import Any

import numpy as np

from ..errors import DataError, FormulaError, NotImplementedForFamily, did_you_mean
from ..grammar._model import Expr, Factor, ModelFormula

__all__ = ["FormulaDesign", "ParamFormulas", "design_from_formula", "location_parameter",
           "parse_param_formula"]

_UFUNC = {"log": np.log, "log1p": np.log1p, "log2": np.log2, "log10": np.log10,
          "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs}


def _row(data: Any, i: int) -> str:
    label = data.index[i]
    return f"row {i}" if label == i else f"row {i} (index {label!r})"


def _column(data: Any, name: str) -> Any:
    if name not in data.columns:
        cols = [str(c) for c in data.columns]
        msg = str(did_you_mean(name, cols, "column"))
        hint = msg[msg.index(repr(name)) + len(repr(name)):]
        raise DataError(f"the formula uses the column {name!r}, which the data do not have"
                        f"{hint}")
    s = data[name]
    if getattr(s, "ndim", 1) != 1:
        raise DataError(f"the column name {name!r} is not unique in the data")
    return s


def _check_missing(data: Any, name: str, s: Any) -> None:
    import pandas as pd

    bad = np.asarray(pd.isna(s))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"column {name!r} has a missing value (NaN/None) at {_row(data, i)} "
                        f"({int(bad.sum())} missing in all); drop or impute those rows first "
                        "(formulas do not drop rows silently)")


def _is_categorical(s: Any) -> bool:
    import pandas as pd

    t = s.dtype
    return bool(isinstance(t, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(t)
                or pd.api.types.is_object_dtype(t) or pd.api.types.is_string_dtype(t))


def _numeric(data: Any, name: str) -> np.ndarray:
    s = _column(data, name)
    _check_missing(data, name, s)
    if _is_categorical(s) and not _bool(s):
        raise DataError(f"column {name!r} is not numeric (dtype {s.dtype}); use C({name}) for "
                        "a categorical variable, or convert it to numbers")
    v = np.asarray(s, dtype=float)
    if not np.all(np.isfinite(v)):
        i = int(np.flatnonzero(~np.isfinite(v))[0])
        raise DataError(f"column {name!r} has a non-finite value {v[i]} at {_row(data, i)}")
    return v


def _bool(s: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_bool_dtype(s.dtype))


def _eval(e: Expr, data: Any, cache: dict[str, np.ndarray]) -> np.ndarray | float:
    """Evaluate a whitelisted arithmetic tree with NumPy (errors are checked by the caller)."""
    if e.op == "col":
        if e.name not in cache:
            cache[e.name] = _numeric(data, e.name)
        return cache[e.name]
    if e.op == "num":
        return float(e.value)
    if e.op == "neg":
        return -_eval(e.args[0], data, cache)
    if e.op == "call":
        return _UFUNC[e.name](_eval(e.args[0], data, cache))
    a, b = _eval(e.args[0], data, cache), _eval(e.args[1], data, cache)
    if e.op == "+":
        return a + b
    if e.op == "-":
        return a - b
    if e.op == "*":
        return a * b
    if e.op == "/":
        return a / b
    if e.op == "**":
        return np.power(a, b)
    raise FormulaError(f"internal: unknown operation {e.op!r}")  # pragma: no cover


def _values(f: Factor, data: Any, cache: dict[str, np.ndarray]) -> np.ndarray:
    """The numeric values of a non-categorical factor's argument, checked finite."""
    n = len(data)
    with np.errstate(all="ignore"):
        v = np.broadcast_to(np.asarray(_eval(f.expr, data, cache), dtype=float), (n,))
    if not np.all(np.isfinite(v)):
        i = int(np.flatnonzero(~np.isfinite(v))[0])
        ins = ", ".join(f"{c} = {cache[c][i]:g}" for c in f.columns() if c in cache)
        raise DataError(f"the formula term {f.display!r} is {v[i]} at {_row(data, i)} ({ins}): "
                        "its argument is outside the domain of a function, or overflows")
    return np.array(v)


def _poly_fit(x: np.ndarray, degree: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Three-term recurrence of orthogonal polynomials on x (R's ``poly``): alpha, norm2."""
    if np.unique(x).size <= degree:
        raise DataError(f"{name}: degree {degree} needs more than {degree} distinct values "
                        f"(found {np.unique(x).size})")
    alpha, norm2 = np.zeros(degree), np.ones(degree + 2)
    p_prev, p = np.zeros_like(x), np.ones_like(x)
    norm2[1] = float(x.size)
    for k in range(degree):
        alpha[k] = float(np.sum(x * p * p) / norm2[k + 1])
        p_next = (x - alpha[k]) * p - (norm2[k + 1] / norm2[k]) * p_prev if k else x - alpha[k]
        p_prev, p = p, p_next
        norm2[k + 2] = float(np.sum(p * p))
    return alpha, norm2


def _poly_apply(x: np.ndarray, alpha: np.ndarray, norm2: np.ndarray) -> np.ndarray:
    degree = alpha.size
    out = np.empty((x.size, degree))
    p_prev, p = np.zeros_like(x), np.ones_like(x)
    for k in range(degree):
        p_next = (x - alpha[k]) * p - (norm2[k + 1] / norm2[k]) * p_prev if k else x - alpha[k]
        p_prev, p = p, p_next
        out[:, k] = p / np.sqrt(norm2[k + 2])
    return out


@dataclass
class _Cat:
    column: str
    levels: list[Any]   # reference level first


@dataclass
class FormulaDesign:
    """A parsed formula plus the state learned on the fitting data.

    ``names`` are the design's column names (no intercept column; ``intercept``
    says whether the model has one). :meth:`matrix` and :meth:`response` apply
    the same transforms to any DataFrame.
    """

    formula: ModelFormula
    cats: dict[str, _Cat] = field(default_factory=dict)
    state: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    codings: list[tuple[tuple[Factor, ...], dict[str, bool]]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    @property
    def intercept(self) -> bool:
        return self.formula.intercept

    # ------------------------------------------------------------------ learning
    @classmethod
    def fit(cls, formula: ModelFormula, data: Any) -> FormulaDesign:
        """Learn levels and transform state on ``data`` and lay out the columns."""
        data = _frame(data)
        self = cls(formula)
        for c in formula.columns():
            _column(data, c)
        cache: dict[str, np.ndarray] = {}
        for f in {f.display: f for t in formula.terms for f in t}.values():
            if self._categorical(f, data):
                self.cats[f.display] = self._learn_levels(f, data)
            elif f.kind == "transform":
                v = _values(f, data, cache)
                if f.transform == "center":
                    self.state[f.display] = (float(np.mean(v)),)
                elif f.transform in ("scale", "standardize"):
                    sd = float(np.std(v, ddof=1)) if v.size > 1 else 0.0
                    if not sd > 0:
                        raise DataError(f"{f.display}: the values are constant (standard "
                                        "deviation 0); cannot scale them")
                    self.state[f.display] = (float(np.mean(v)), sd)
                else:
                    self.state[f.display] = _poly_fit(v, f.degree, f.display)
        self._layout()
        return self

    def _categorical(self, f: Factor, data: Any) -> bool:
        if f.kind == "categorical":
            return True
        if f.kind == "column":
            if f.display in self.cats:
                return True
            return _is_categorical(_column(data, f.expr.name))
        return False

    def _learn_levels(self, f: Factor, data: Any) -> _Cat:
        import pandas as pd

        name = f.expr.name
        s = _column(data, name)
        _check_missing(data, name, s)
        if isinstance(s.dtype, pd.CategoricalDtype):
            levels = list(s.cat.categories)
        else:
            uniq = pd.unique(s.to_numpy())
            try:
                levels = sorted(uniq)
            except TypeError:
                levels = sorted(uniq, key=str)
        if f.ref is not None:
            hit = [i for i, lv in enumerate(levels) if _same(lv, f.ref)]
            if not hit:
                shown = ", ".join(repr(_plain(v)) for v in levels[:20])
                raise DataError(f"{f.display}: the reference level {f.ref!r} is not a level of "
                                f"column {name!r} (levels: {shown})")
            levels.insert(0, levels.pop(hit[0]))
        return _Cat(name, [_plain(v) for v in levels])

    def _layout(self) -> None:
        """patsy's rule for full-rank coding of interactions (see the module docstring)."""
        groups: dict[frozenset[str], set[frozenset[tuple[str, bool]]]] = {}
        if self.intercept:
            groups[frozenset()] = {frozenset()}
        for term in self.formula.terms:
            numeric = frozenset(f.display for f in term if f.display not in self.cats)
            used = groups.setdefault(numeric, set())
            cat = [f.display for f in term if f.display in self.cats]
            subterms: list[frozenset[tuple[str, bool]]] = []
            for k in range(len(cat) + 1):
                for combo in combinations(cat, k):
                    st = frozenset((c, False) for c in combo)
                    if st not in used:
                        subterms.append(st)
            used.update(subterms)
            _simplify(subterms)
            for st in subterms:
                coding = dict(st)
                self.codings.append((term, coding))
        self.names = []
        for term, coding in self.codings:
            self.names += [":".join(p) for p, _ in self._pieces(term, coding)]

    # ------------------------------------------------------------------ evaluation
    def _pieces(self, term: tuple[Factor, ...], coding: dict[str, bool],
                cols: dict[str, tuple[list[str], Any]] | None = None):
        """(name parts, column builders) of one subterm, left-most factor fastest."""
        per_factor: list[list[tuple[str, Any]]] = []
        for f in term:
            if f.display in self.cats:
                if f.display not in coding:
                    continue
                lv = self.cats[f.display].levels
                full = coding[f.display]
                chosen = range(len(lv)) if full else range(1, len(lv))
                per_factor.append([(f"{f.display}[{'' if full else 'T.'}{lv[j]}]", ("cat", f, j))
                                   for j in chosen])
            else:
                if f.kind == "transform" and f.transform == "poly":
                    per_factor.append([(f"{f.display}[{j + 1}]", ("num", f, j))
                                       for j in range(f.degree)])
                else:
                    per_factor.append([(f.display, ("num", f, 0))])
        out = []
        for combo in product(*reversed(per_factor)):
            combo = combo[::-1]
            out.append(([c[0] for c in combo], [c[1] for c in combo]))
        return out

    def _factor_columns(self, f: Factor, data: Any, cache: dict[str, np.ndarray]) -> np.ndarray:
        """(n, m) numeric columns of a factor, or the (n,) level codes of a categorical."""
        if f.display in self.cats:
            return self._codes(f, data)
        v = _values(f, data, cache)
        if f.kind != "transform":
            return v[:, None]
        st = self.state[f.display]
        if f.transform == "center":
            return (v - st[0])[:, None]
        if f.transform in ("scale", "standardize"):
            return ((v - st[0]) / st[1])[:, None]
        return _poly_apply(v, *st)

    def _codes(self, f: Factor, data: Any) -> np.ndarray:
        import pandas as pd

        cat = self.cats[f.display]
        s = _column(data, cat.column)
        _check_missing(data, cat.column, s)
        vals = s.to_numpy()
        if isinstance(s.dtype, pd.CategoricalDtype):
            vals = np.asarray(s.astype(object))
        levels = cat.levels
        codes = np.full(len(vals), -1)
        index = {_key(v): j for j, v in enumerate(levels)}
        for i, v in enumerate(vals):
            codes[i] = index.get(_key(_plain(v)), -1)
        if np.any(codes < 0):
            i = int(np.flatnonzero(codes < 0)[0])
            shown = ", ".join(repr(v) for v in levels[:20])
            raise DataError(f"column {cat.column!r} has the level {_plain(vals[i])!r} at "
                            f"{_row(data, i)}, which was not seen when the model was fitted "
                            f"(known levels: {shown}); drop those rows, map them to a known "
                            "level, or refit with data that contain it")
        return codes

    def matrix(self, data: Any) -> Any:
        """The design (a DataFrame with the readable column names, no intercept column)."""
        import pandas as pd

        data = _frame(data)
        for c in self.formula.rhs_columns():
            _column(data, c)
        n = len(data)
        cache: dict[str, np.ndarray] = {}
        fcols: dict[str, np.ndarray] = {}
        for term, _ in self.codings:
            for f in term:
                if f.display not in fcols:
                    fcols[f.display] = self._factor_columns(f, data, cache)
        out: dict[str, np.ndarray] = {}
        for term, coding in self.codings:
            for parts, builders in self._pieces(term, coding):
                col = np.ones(n)
                for kind, f, j in builders:
                    if kind == "cat":
                        col = col * (fcols[f.display] == j)
                    else:
                        col = col * fcols[f.display][:, j]
                out[":".join(parts)] = col
        return pd.DataFrame(out, index=data.index, columns=self.names, dtype=float)

    def response(self, data: Any, numeric: bool = True) -> Any:
        """The response: the raw column when it is a bare column name, else its values.

        ``numeric=False`` keeps a bare column's own values (class labels).
        """
        import pandas as pd

        f = self.formula.response
        if f is None:  # pragma: no cover - the grammar requires a response
            raise FormulaError("the formula has no response")
        data = _frame(data)
        if f.kind == "column":
            s = _column(data, f.expr.name)
            _check_missing(data, f.expr.name, s)
            if not numeric:
                return s
            if _is_categorical(s) and not _bool(s):
                raise DataError(f"the response column {f.expr.name!r} holds labels (dtype "
                                f"{s.dtype}), not numbers; use family='bernoulli' or "
                                "'categorical' for class labels, or convert it to numbers")
            return pd.Series(_numeric(data, f.expr.name), index=data.index, name=f.display)
        return pd.Series(_values(f, data, {}), index=data.index, name=f.display)


def _simplify(subterms: list[frozenset[tuple[str, bool]]]) -> None:
    """patsy's greedy absorption: {a-} and {a-, b-} become {a-, b+}."""
    changed = True
    while changed:
        changed = False
        for si, short in enumerate(subterms):
            for li in range(si + 1, len(subterms)):
                long = subterms[li]
                if len(long) - len(short) == 1 and long.issuperset(short):
                    (diff,) = long - short
                    subterms[li] = frozenset(short | {(diff[0], True)})
                    subterms.pop(si)
                    changed = True
                    break
            if changed:
                break


def _plain(v: Any) -> Any:
    """NumPy scalars to Python ones (stable names and comparisons)."""
    return v.item() if isinstance(v, np.generic) else v


def _key(v: Any) -> Any:
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, (int, float)):
        return ("n", float(v))
    return ("s", str(v))


def _same(level: Any, ref: Any) -> bool:
    level = _plain(level)
    if _key(level) == _key(ref):
        return True
    return isinstance(ref, str) and str(level) == ref


def _frame(data: Any) -> Any:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    try:
        return pd.DataFrame(data)
    except Exception as exc:
        raise DataError(f"formula data must be a DataFrame or a mapping of columns; got "
                        f"{type(data).__name__} ({exc})") from None


def design_from_formula(formula: str | ModelFormula, data: Any
                        ) -> tuple[FormulaDesign, Any, Any]:
    """Parse (if needed) and learn a formula on ``data``: (design, y, X).

    ``y`` is the raw response column when the left side is a bare column (class
    labels stay labels), else its values; ``X`` the design DataFrame.
    """
    from ..grammar import parse_model_formula

    parsed = parse_model_formula(formula) if isinstance(formula, str) else formula
    design = FormulaDesign.fit(parsed, data)
    return design, design.response(data, numeric=False), design.matrix(data)


# ---------------------------------------------------------------------- a formula per parameter
def parse_param_formula(text: Any, param: str) -> ModelFormula:
    """Parse one parameter's formula: two-sided ``"y ~ x1"`` or one-sided ``"~ x1"``.

    The same whitelist grammar as :func:`mlekit.grammar.parse_model_formula` reads the
    text (nothing is ever evaluated). A one-sided formula is parsed as if its response
    were a placeholder that no data column can match, then the placeholder is dropped
    (``response`` is None); error columns still point into the user's own text. Every
    :class:`~mlekit.errors.FormulaError` names ``param``.
    """
    import dataclasses

    from ..grammar import parse_model_formula
    from ..grammar._model import MAX_LENGTH, Token, _Parser, _tokenize

    where = f"the formula of parameter {param!r}"
    if not isinstance(text, str):
        raise FormulaError(f"{where} must be a string such as '~ x1'; got "
                           f"{type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"{where} is too long ({len(text)} characters; at most "
                           f"{MAX_LENGTH})")
    if not text.strip():
        raise FormulaError(f"{where} is empty; write e.g. '~ x1', or '~ 1' for a constant")
    try:
        toks = _tokenize(text)
        if not (toks and toks[0].kind == "OP" and toks[0].text == "~"):
            return parse_model_formula(text)
        placeholder = Token("QNAME", "(no response)", toks[0].col)
        parsed = _Parser(text, [placeholder, *toks]).formula()
    except FormulaError as exc:
        raise FormulaError(f"{where}: {exc}") from None
    return dataclasses.replace(parsed, response=None)


def _valid_parameters(fam: Any) -> list[str]:
    """Every name a formula may be given for: the family's estimable parameters and those
    of its declared parametrisations (Gamma: ``shape, rate``; ``mean, shape``)."""
    out = [p.name for p in fam.parameters if p.estimable]
    for par in fam.parametrisations.values():
        out += [p.name for p in par.parameters if getattr(p, "estimable", True)
                and p.name not in out]
    return out


def _check_names(fam: Any, names: list[Any]) -> None:
    """A ParameterError (listing the valid names) for a formula keyed by a non-parameter."""
    from ..errors import ParameterError

    valid = _valid_parameters(fam)
    for k in names:
        if not isinstance(k, str) or k not in valid:
            msg = str(did_you_mean(str(k), valid, what="parameter"))
            raise ParameterError(f"{fam.title} regression: the formulas name an {msg}; "
                                 "key each formula by a parameter of the family")


def location_parameter(family: Any, names: list[str], link: Any = None,
                       fixed: Any = None) -> str:
    """The parameter whose formula carries the response when formulas (or links) are
    given for ``names``: the family's location in the parameter space those names
    select (Normal ``mu``; Gamma ``mean``). Unknown names are a ParameterError."""
    from ..families import get_family

    fam = get_family(family)
    _check_names(fam, list(names))
    fixed = {str(k): float(v) for k, v in dict(fixed or {}).items()}
    return _location(fam, [n for n in names if n not in fixed], link, fixed)[0]


def _location(fam: Any, names: list[str], link: Any, fixed: dict[str, float]
              ) -> tuple[str, bool]:
    """The parameter that carries the response among the space that ``names`` select,
    and whether that space and location are the ones a plain formula would use (then
    the location needs no name in ``designs``)."""
    from ._engine import build_family_model, regressable
    from ._models import has_fast_path

    if has_fast_path(fam):
        try:
            regressable(fam)
        except NotImplementedForFamily:
            # a vector-valued family (softmax classes) has only its fast path on its mean
            if len(names) > 1:
                raise NotImplementedForFamily(
                    f"{fam.title} regression models its one (vector) parameter only; give "
                    f"a single formula ({', '.join(repr(n) for n in names)} were given)"
                ) from None
            from ._engine import location_of

            return (names[0] if names else location_of(fam)), True
    from ..errors import ParameterError

    try:
        named = build_family_model(fam, link, fixed, designs={k: "1" for k in names})
    except ParameterError as exc:  # (the engine speaks of designs; these are formulas)
        raise ParameterError(str(exc).replace(" in the designs ", " in the formulas ")
                             ) from None
    plain = build_family_model(fam, link, fixed)
    same = named.parametrisation == plain.parametrisation and named.location == plain.location
    return named.location, same


@dataclass
class ParamFormulas:
    r"""A model formula per distribution parameter, learned on the fitting data.

    Each modelled parameter :math:`\theta_k` gets its own linear predictor on its own
    formula design :math:`Z_k` (treatment coding, stateful transforms as in
    :class:`FormulaDesign`):

    .. math::

        \theta_{ik} = g_k^{-1}\bigl(z_{ik}^\top \beta_k\bigr), \qquad
        y_i \sim \text{family}(\theta_{i1}, \dots, \theta_{iK}) .

    The location parameter's formula carries the response (``"y ~ x1 + x2"``); the
    others are one-sided (``"~ x1"``); a parameter without a formula, or with ``"~ 1"``,
    is a constant (its intercept only).

    Fields: ``location`` (the parameter whose design is the estimator's ``X``),
    ``texts`` (parameter -> formula text), ``designs`` (parameter -> learned
    :class:`FormulaDesign`, location first), ``modelled`` (the other parameters with
    columns of their own, in the given order), ``explicit_intercept`` (the formulas
    differ in their intercept, or the location has no column: every intercept is then
    a column named ``"Intercept"`` in its design and the estimator fits with
    ``fit_intercept=False``), ``name_location`` (name the location in ``designs``: its
    space or location differs from a plain formula's, e.g. Gamma's own ``shape``).
    """

    location: str
    texts: dict[str, str]
    designs: dict[str, FormulaDesign]
    modelled: list[str]
    explicit_intercept: bool
    name_location: bool

    @property
    def fit_intercept(self) -> bool:
        """The estimator's ``fit_intercept`` (one value for every parameter)."""
        return not self.explicit_intercept and self.designs[self.location].intercept

    @property
    def location_design(self) -> FormulaDesign:
        return self.designs[self.location]

    @classmethod
    def fit(cls, formulas: Any, data: Any, family: Any, link: Any = None,
            fixed: Any = None) -> ParamFormulas:
        """Check the formulas against ``family`` and learn each design on ``data``.

        Raises ParameterError for an unknown parameter (listing the valid ones) or a fixed
        one given a formula; FormulaError for a location formula without a response, a
        response in another formula, a free parameter with no column and no intercept
        (``"~ 0"``), or formulas that are all intercept-only.
        """
        from ..errors import ParameterError
        from ..families import get_family

        fam = get_family(family)
        if not isinstance(formulas, dict) or not formulas:
            raise FormulaError("formulas per parameter are a non-empty dict {parameter: "
                               "formula}, e.g. {'mu': 'y ~ x1', 'sigma': '~ x1'}")
        fixed = {str(k): float(v) for k, v in dict(fixed or {}).items()}
        _check_names(fam, list(formulas))
        for k in formulas:
            if k in fixed:
                raise ParameterError(
                    f"{fam.title} regression: parameter {k!r} is fixed (fixed={{{k!r}: "
                    f"{fixed[k]:g}}}) and has the formula {formulas[k]!r}; drop the formula "
                    "or the fixed value")
        parsed = {k: parse_param_formula(v, k) for k, v in formulas.items()}
        loc, same = _location(fam, list(parsed), link, fixed)
        if loc not in parsed:
            raise FormulaError(
                f"{fam.title} regression: no formula for {loc!r}, the location parameter, "
                f"whose formula carries the response: add {{{loc!r}: 'y ~ x1'}} (or "
                f"{{{loc!r}: 'y ~ 1'}} for a constant {loc})")
        for k, f in parsed.items():
            if k == loc and f.response is None:
                raise FormulaError(
                    f"the formula of {loc!r}, {formulas[k]!r}, has no response: the location "
                    f"parameter's formula carries it; write 'y {formulas[k].strip()}'")
            if k != loc and f.response is not None:
                raise FormulaError(
                    f"the formula of {k!r}, {formulas[k]!r}, has a response "
                    f"({f.response.display!r}): only the formula of the location parameter "
                    f"{loc!r} carries it; write {'~' + formulas[k].split('~', 1)[1]!r}")
        order = [loc] + [k for k in parsed if k != loc]
        designs: dict[str, FormulaDesign] = {}
        for k in order:
            try:
                designs[k] = FormulaDesign.fit(parsed[k], data)
            except DataError as exc:
                raise DataError(f"the formula of {k!r} ({formulas[k]!r}): {exc}") from None
        for k in order:
            d = designs[k]
            if not d.names and not d.intercept:
                raise FormulaError(
                    f"the formula of {k!r}, {formulas[k]!r}, has neither columns nor an "
                    f"intercept, but {k!r} is a free parameter: write '~ 1' for a constant "
                    f"{k}, or fix it (fixed={{{k!r}: value}})")
        modelled = [k for k in order[1:] if designs[k].names]
        if not designs[loc].names and not modelled:
            raise FormulaError(
                f"the formulas {dict(formulas)!r} have no regressors besides the intercepts; "
                "fit the response's distribution with mk.fit(y, family) instead")
        icpts = {designs[k].intercept for k in [loc, *modelled]}
        explicit = len(icpts) > 1 or not designs[loc].names
        return cls(loc, {k: formulas[k] for k in order}, designs, modelled, explicit,
                   bool(modelled) or not same)

    # ------------------------------------------------------------------ designs
    def _matrix(self, k: str, data: Any) -> Any:
        try:
            Z = self.designs[k].matrix(data)
        except DataError as exc:
            raise DataError(f"the formula of {k!r} ({self.texts[k]!r}): {exc}") from None
        if self.explicit_intercept and self.designs[k].intercept:
            Z.insert(0, "Intercept", 1.0)
        return Z

    def frames(self, data: Any) -> tuple[Any, dict[str, Any] | None]:
        """``(X, designs)`` for :meth:`Regression.fit` / ``predict``: the location's design
        and ``{parameter: Z}`` for the others (None when no parameter but the location
        has columns and the location needs no name). Unseen levels, missing columns and
        NaN are DataErrors naming the parameter and its formula."""
        data = _frame(data)
        X = self._matrix(self.location, data)
        if not self.name_location:
            return X, None
        designs: dict[str, Any] = {self.location: list(range(X.shape[1]))}
        for k in self.modelled:
            designs[k] = self._matrix(k, data)
        return X, designs

    def response(self, data: Any, numeric: bool = True) -> Any:
        """The response, from the location parameter's formula."""
        return self.location_design.response(data, numeric=numeric)
