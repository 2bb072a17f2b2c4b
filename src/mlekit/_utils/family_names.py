"""The names of the built-in families, without importing a family (floor 0: strings only).

``mlekit.families`` registers every built-in family from :data:`FAMILY_TABLE`, and
:func:`mlekit.families.get_family` resolves a name with :func:`resolve_family_name`. The
command line calls the same function on this table *before* it imports NumPy, SciPy or a
family module, so ``mlekit regress data.csv --family nosuch`` answers with its one line
in a fraction of the time a full import takes, and with the very message the API gives.
Adding a family is still one line: its row here (the family module and its import in
``families/__init__.py`` make the rest); ``families/__init__`` refuses to start if a row
and a family's ``name`` disagree.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from ..errors import UnknownNameError, did_you_mean

__all__ = ["FAMILY_ALIASES", "FAMILY_NAMES", "FAMILY_TABLE", "check_family_names",
           "normalise_family_name", "resolve_family_name"]

#: ``(registry name, attribute of mlekit.families, aliases)`` in registration order
FAMILY_TABLE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("normal", "Normal", ("gaussian", "norm")),
    ("bernoulli", "Bernoulli", ()),
    ("categorical", "Categorical", ("multinomial",)),
    ("beta", "Beta", ()),
    ("cauchy", "Cauchy", ()),
    ("exponential", "Exponential", ("expon",)),
    ("gamma", "Gamma", ()),
    ("gumbel", "Gumbel", ("gumbelr",)),
    ("halfnormal", "HalfNormal", ("halfnorm",)),
    ("laplace", "Laplace", ()),
    ("logistic", "Logistic", ()),
    ("lognormal", "LogNormal", ("lognorm",)),
    ("studentt", "StudentT", ("t", "student")),
    ("weibull", "Weibull", ("weibullmin",)),
    ("binomial", "Binomial", ("binom",)),
    ("dirichlet", "Dirichlet", ()),
    ("geometric", "Geometric", ("geom",)),
    ("inversegaussian", "InverseGaussian", ("invgauss", "wald")),
    ("multivariatenormal", "MultivariateNormal", ("mvn", "multinormal")),
    ("negativebinomial", "NegativeBinomial", ("nbinom", "negbin", "nb2", "negbinomial",
                                              "negbinom", "nbinomial")),
    ("pareto", "Pareto", ()),
    ("poisson", "Poisson", ()),
    ("rayleigh", "Rayleigh", ()),
    ("uniform", "Uniform", ()),
    ("tweedie", "Tweedie", ()),
    ("ordinal", "Ordinal", ()),
)

FAMILY_NAMES: tuple[str, ...] = tuple(row[0] for row in FAMILY_TABLE)
FAMILY_ALIASES: dict[str, str] = {a: row[0] for row in FAMILY_TABLE for a in row[2]}


def normalise_family_name(text: str) -> str:
    """The lookup key of a typed name: lower case, without ``-``, ``_`` and spaces."""
    return str(text).strip().lower().replace("-", "").replace("_", "").replace(" ", "")


def resolve_family_name(text: str, names: Iterable[str] = FAMILY_NAMES,
                        aliases: Mapping[str, str] = FAMILY_ALIASES) -> str:
    """The registered name that ``text`` means, or :class:`UnknownNameError` with a hint.

    A name matches when equal after :func:`normalise_family_name` (``"Student_T"`` is
    ``studentt``), then an alias (``"gaussian"``). An unknown name that abbreviates a
    registered one (its letters in order, at least 3, same first letter) suggests that name
    (``"negbinomial"`` → ``negativebinomial``, where edit distance would pick ``binomial``);
    otherwise the closest by :mod:`difflib`. The choices listed come from ``names``.

    >>> resolve_family_name("Gaussian"), resolve_family_name("Student-T")
    ('normal', 'studentt')
    >>> try:
    ...     resolve_family_name("negbinomial2")
    ... except UnknownNameError as exc:
    ...     print(str(exc).split(" (choose")[0])
    unknown family 'negbinomial2'; did you mean 'negbinomial'?
    """
    names = list(names)
    key = normalise_family_name(text)
    for name in names:
        if name.replace("_", "") == key:
            return name
    if key in aliases:
        return aliases[key]
    best = _abbreviates(key, [*names, *aliases])
    if best is not None:
        raise UnknownNameError(f"unknown family {text!r}; did you mean {best!r}? "
                               f"(choose from: {', '.join(sorted(names))})")
    raise did_you_mean(text, names, what="family", aliases=list(aliases))


def _abbreviates(key: str, names: list[str]) -> str | None:
    """The registered name that ``key`` abbreviates (its letters in order, at least 3, and
    sharing the first letter), the most similar if several; None if none does.

    ``difflib`` alone ranks "binomial" above "negativebinomial" for "negbinomial"
    (fewer edits), though the user plainly shortened the longer name.
    """
    if len(key) < 3:
        return None

    def contains(name: str) -> bool:
        it = iter(name)
        return name[0] == key[0] and all(ch in it for ch in key)

    hits = [n for n in names if len(n) > len(key) and contains(n)]
    if not hits:
        return None
    return max(hits, key=lambda n: (difflib.SequenceMatcher(None, key, n).ratio(), -len(n)))


def check_family_names(text: str, allow: Iterable[str] = ("auto",)) -> None:
    """Refuse an unknown built-in family name in ``text`` (one name or a comma list) early.

    Only plain names are checked; a spec with parentheses (``"zeroinflated(poisson)"``) or
    an empty list entry is left to the full parser, which has the complete message. Names in
    ``allow`` (``auto``) pass.
    """
    if "(" in str(text):
        return
    parts = [p.strip() for p in str(text).split(",")]
    if any(not p for p in parts):
        return
    allowed = {normalise_family_name(a) for a in allow}
    for part in parts:
        if normalise_family_name(part) not in allowed:
            resolve_family_name(part)
