"""The registry of families and of closed-form KL divergences between them.

Families register themselves with :func:`register_family` (one line in
``families/__init__.py``). Closed-form KL divergences are declared next to
their family with ``@register_kl(P, Q)`` and looked up by
:func:`lookup_kl`, which picks the most specific registered pair (a pair
registered for the exact classes wins over one registered for a base class;
two equally specific candidates are reported as ambiguous), in the spirit of
``torch.distributions.kl``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from .._utils.family_names import resolve_family_name
from ..errors import MlekitError, ParameterError, did_you_mean
from .base import Distribution, Family

__all__ = [
    "FAMILIES",
    "KL_REGISTRY",
    "get_family",
    "lookup_kl",
    "parse_distribution",
    "parse_family_spec",
    "register_family",
    "register_kl",
]

FAMILIES: dict[str, Family] = {}
_ALIASES: dict[str, str] = {}
KL_REGISTRY: dict[tuple[type, type], Callable[..., Any]] = {}


def register_family(family: Family, aliases: tuple[str, ...] = ()) -> Family:
    """Add ``family`` to the registry under its ``name`` (and optional aliases)."""
    FAMILIES[family.name] = family
    for a in aliases:
        _ALIASES[a] = family.name
    return family


def get_family(family: str | Family) -> Family:
    """Return the registered family called ``family`` (case-insensitive) or ``family`` itself.

    Examples
    --------
    >>> import mlekit as mk
    >>> mk.get_family("Gamma")
    <family Gamma(shape, rate)>
    >>> mk.get_family("gamma") is mk.Gamma
    True
    """
    if isinstance(family, Family):
        return family
    if "(" in str(family):  # a combinator spelled as text: "zeroinflated(poisson)"
        return parse_family_spec(str(family))
    # the same resolver the command line runs on the built-in names before importing
    # anything heavy, here on the live registry (families registered at run time included)
    return FAMILIES[resolve_family_name(family, FAMILIES, _ALIASES)]


def register_kl(p_cls: type, q_cls: type) -> Callable:
    """Decorator: ``fn(p_params, q_params) -> array`` is KL(P‖Q) in closed form.

    ``p_params`` and ``q_params`` are the parameter dicts of the two members.
    """

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        KL_REGISTRY[(p_cls, q_cls)] = fn
        return fn

    return deco


def lookup_kl(p_family: Family, q_family: Family) -> Callable[..., Any] | None:
    """The most specific closed form for (type(P), type(Q)), or ``None``."""
    p_mro, q_mro = type(p_family).__mro__, type(q_family).__mro__
    matches = [
        (p_mro.index(pc), q_mro.index(qc), fn)
        for (pc, qc), fn in KL_REGISTRY.items()
        if pc in p_mro and qc in q_mro
    ]
    if not matches:
        return None
    matches.sort(key=lambda m: (m[0], m[1]))
    best = matches[0]
    ties = [m for m in matches if (m[0], m[1]) == (best[0], best[1]) and m[2] is not best[2]]
    if ties:
        raise MlekitError(
            f"ambiguous closed-form KL for ({p_family.title}, {q_family.title}): "
            "two registrations are equally specific"
        )
    return best[2]


_ALLOWED_VALUE_NODES = (ast.Constant, ast.UnaryOp, ast.List, ast.Tuple)


def _literal(node: ast.AST, spec: str) -> Any:
    """Evaluate a numeric literal (numbers, ± signs, lists) without eval."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(
        node.value, bool
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _literal(node.operand, spec)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e, spec) for e in node.elts]
    if isinstance(node, ast.Name) and node.id in ("inf", "nan"):
        return float(node.id)
    raise ParameterError(
        f"cannot read {spec!r}: parameter values must be numbers or [lists of numbers]"
    )


#: the combinators a family spec may name, and the keywords each takes
_COMBINATORS = {"zeroinflated": (), "hurdle": (), "truncated": ("low", "high"),
                "mixture": ("k",), "shifted": ()}


def parse_family_spec(spec: str) -> Family:
    """A family from text naming a combinator: ``"zeroinflated(poisson)"``,
    ``"hurdle(negativebinomial)"``, ``"truncated(normal, low=0)"``,
    ``"truncated(poisson, low=1)"`` (nesting allowed: ``"zeroinflated(truncated(poisson,
    high=20))"``).

    Read with :mod:`ast` over a whitelist — a combinator name, a family name and numeric
    keyword values (``inf`` allowed); the text never reaches ``eval``.

    Examples
    --------
    >>> import mlekit as mk
    >>> mk.get_family("zeroinflated(poisson)").param_names
    ('pi', 'rate')
    >>> mk.get_family("truncated(normal, low=0)").title
    'Truncated(Normal, low=0)'
    """
    text = str(spec).strip()
    if len(text) > 1_000:
        raise ParameterError("family spec is too long (over 1000 characters)")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        raise ParameterError(f"cannot read family {text!r}: expected a family name or a "
                             "combinator such as 'zeroinflated(poisson)' or "
                             "'truncated(normal, low=0)'") from None
    return _family_node(tree.body, text, depth=0)


def _family_node(node: ast.AST, text: str, depth: int) -> Family:
    if depth > 4:
        raise ParameterError(f"cannot read family {text!r}: nested too deeply")
    if isinstance(node, ast.Name):
        return get_family(node.id)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ParameterError(f"cannot read family {text!r}: expected a family name or a "
                             "combinator such as 'zeroinflated(poisson)'")
    name = node.func.id.lower().replace("_", "")
    if name not in _COMBINATORS:
        raise did_you_mean(node.func.id, list(_COMBINATORS), what="combinator")
    if name == "mixture":
        return _mixture_node(node, text, depth)
    if len(node.args) != 1:
        raise ParameterError(f"cannot read family {text!r}: {name}(...) takes one family "
                             f"(got {len(node.args)})")
    base = _family_node(node.args[0], text, depth + 1)
    allowed = _COMBINATORS[name]
    kwargs: dict[str, float] = {}
    for kw in node.keywords:
        if kw.arg is None or kw.arg not in allowed:
            raise ParameterError(
                f"cannot read family {text!r}: {name}(...) takes "
                + (f"the keywords {', '.join(allowed)}" if allowed else "no keywords")
                + (f", not {kw.arg!r}" if kw.arg else ""))
        v = _literal(kw.value, text)
        if not isinstance(v, (int, float)):
            raise ParameterError(f"cannot read family {text!r}: {kw.arg} must be a number")
        kwargs[kw.arg] = float(v)
    from . import combinators

    make = {"zeroinflated": combinators.ZeroInflated, "hurdle": combinators.Hurdle,
            "truncated": combinators.Truncated, "shifted": combinators.Shifted}[name]
    return make(base, **kwargs)


def _mixture_node(node: ast.Call, text: str, depth: int) -> Family:
    """``mixture(normal, k=2)``, ``mixture(normal, gamma)`` or ``mixture([normal, gamma])``:
    component families (names or nested combinators) and an optional whole number k."""
    args = list(node.args)
    if len(args) == 1 and isinstance(args[0], (ast.List, ast.Tuple)):
        args = list(args[0].elts)
    if not args:
        raise ParameterError(f"cannot read family {text!r}: mixture(...) takes its component "
                             "families, e.g. 'mixture(normal, k=2)' or 'mixture(normal, gamma)'")
    if len(args) > 50:
        raise ParameterError(f"cannot read family {text!r}: mixture(...) takes at most 50 "
                             "components")
    comps = [_family_node(a, text, depth + 1) for a in args]
    k = None
    for kw in node.keywords:
        if kw.arg != "k":
            raise ParameterError(f"cannot read family {text!r}: mixture(...) takes the keyword "
                                 "k" + (f", not {kw.arg!r}" if kw.arg else ""))
        v = _literal(kw.value, text)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int):
            raise ParameterError(f"cannot read family {text!r}: k must be a whole number of "
                                 "components")
        k = v
    from . import combinators

    if k is not None and len(comps) > 1:
        raise ParameterError(f"cannot read family {text!r}: give either one family and k "
                             "('mixture(normal, k=2)') or the list of families "
                             "('mixture(normal, gamma)'), not both")
    return combinators.Mixture(comps[0], k=k) if k is not None else combinators.Mixture(comps)


def parse_distribution(spec: str) -> Distribution:
    """Build a frozen distribution from text such as ``"normal(mu=0, sigma=1)"``.

    Positional values follow the family's parameter order (``"normal(0, 1)"``).
    Parsed with :mod:`ast` — only a name, numbers and lists are accepted; the
    text never reaches ``eval``.

    Examples
    --------
    >>> import mlekit as mk
    >>> mk.parse_distribution("normal(0, 2)")
    Normal(mu=0, sigma=2)
    >>> float(mk.parse_distribution("poisson(rate=3.5)").mean)
    3.5
    """
    text = str(spec).strip()
    if len(text) > 10_000:
        raise ParameterError("distribution spec is too long (over 10000 characters)")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        raise ParameterError(
            f"cannot read distribution {text!r}: expected e.g. 'normal(mu=0, sigma=1)'"
        ) from None
    node = tree.body
    if isinstance(node, ast.Name):
        raise ParameterError(
            f"distribution {text!r} needs parameters, e.g. '{node.id}(...)'"
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Call):
        inner = node.func.func
        if not (isinstance(inner, ast.Name)
                and inner.id.lower().replace("_", "") in _COMBINATORS):
            raise ParameterError(
                f"cannot read distribution {text!r}: expected e.g. 'normal(mu=0, sigma=1)' or "
                "a combinator with its parameters, 'zeroinflated(poisson)(pi=0.2, rate=3)'")
        family = _family_node(node.func, text, depth=0)  # "zeroinflated(poisson)(pi=.2, rate=3)"
    elif not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ParameterError(
            f"cannot read distribution {text!r}: expected e.g. 'normal(mu=0, sigma=1)'"
        )
    else:
        family = get_family(node.func.id)
    args = [_literal(a, text) for a in node.args]
    kwargs = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise ParameterError(f"cannot read {text!r}: '**' is not allowed")
        if kw.arg in kwargs:  # ast accepts "f(a=1, a=2)"; Python itself refuses it
            raise ParameterError(f"cannot read {text!r}: parameter {kw.arg!r} is given twice")
        kwargs[kw.arg] = _literal(kw.value, text)
    return family(*args, **kwargs)
