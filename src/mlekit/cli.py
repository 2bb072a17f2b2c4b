"""The ``mlekit`` command: derive, fit, regress, kl, families, datasets, demo.

Every command prints a rich table for people, ``--json`` for scripts and
``--quiet`` for neither; ``--report out.html`` writes a self-contained HTML
report. Bad input ends with exactly one line on stderr,
``mlekit: error: …``, and exit status 2 — never a traceback. An unexpected
failure prints one line ``mlekit: internal error: …`` and exits with 1.

The feature modules (estimate, regression, derive, divergence, report) are
imported inside the commands, so ``mlekit --help`` and ``mlekit families`` stay
fast.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .errors import DataError, MlekitError, ParameterError

if TYPE_CHECKING:  # NumPy is imported where a command needs it: `mlekit --help` never does
    import numpy as np

__all__ = ["app", "main"]

_EPILOG = (
    "Examples:  mlekit demo --out demo.html  ·  mlekit derive normal --wrt mu  ·  "
    "mlekit fit data.csv --column x --family normal  ·  "
    "mlekit kl 'normal(0, 1)' 'normal(1, 2)'  ·  mlekit families.  "
    "Every command takes --json and --quiet; bad input ends with one line on stderr "
    "(mlekit: error: …) and exit status 2. Shell completion: mlekit --install-completion."
)

app = typer.Typer(
    name="mlekit",
    help="Where does your loss function come from? Derive, fit and check "
    "negative log-likelihoods.",
    epilog=_EPILOG,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# ---------------------------------------------------------------------------- options
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q",
                                        help="Print nothing on success (except --json output).")]
ReportOpt = Annotated[Path | None, typer.Option(
    "--report", metavar="OUT.html",
    help="Also write a self-contained HTML report (figures as inline SVG, math as MathML).")]
FixedOpt = Annotated[list[str] | None, typer.Option(
    "--fixed", metavar="NAME=VALUE",
    help="Hold a parameter at a known value; repeat or separate with commas "
    "(--fixed sigma=1,mu=0).")]
DensityOpt = Annotated[str | None, typer.Option(
    "--density", metavar="FORMULA",
    help="Your own density p(x; θ), a formula in x and the --param names, e.g. "
    "\"exp(-abs(x - mu)/b) / (2*b)\" (read by mlekit's grammar, never evaluated).")]
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", metavar="NAME=DOMAIN",
    help="A parameter of --density and its domain: real, positive, nonnegative or unit "
    "(repeat, or separate with commas).")]
SupportOpt = Annotated[str, typer.Option(
    "--support", help="Where x lives for --density: real, positive, nonnegative, unit, "
    "binary, counts, positive_integers or signs.")]
CheckOpt = Annotated[str, typer.Option(
    "--check", help="For --density: raise (refuse a formula that is negative or does not "
    "integrate to 1), warn, or off.")]


def _version_callback(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("mlekit")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            v = "unknown"
        sys.stdout.write(f"mlekit {v}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version_callback, is_eager=True,
        help="Print the version and exit.")] = False,
) -> None:
    """Where does your loss function come from? (the help text is the app's)"""


# ---------------------------------------------------------------------------- helpers
def _console(stderr: bool = False):
    """A rich console; 120 columns when writing to a pipe or file (not 80)."""
    import os

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None
    if not (hasattr(stream, "isatty") and stream.isatty()):
        try:
            width = int(os.environ.get("COLUMNS", "120"))
        except ValueError:
            width = 120
    return Console(file=stream, highlight=False, soft_wrap=False, width=width)


def _print_table(renderable: Any) -> None:
    """Print without ever truncating numbers: widen the console to the table if needed
    (the terminal then wraps long lines instead of rich cutting cells)."""
    con = _console()
    try:
        from rich.measure import Measurement

        need = Measurement.get(con, con.options.update(max_width=1000), renderable).maximum
    except Exception:  # pragma: no cover - measuring is best effort
        need = 0
    if need > con.width:
        con.width = need
    con.print(renderable)


def _jsonable(v: Any) -> Any:
    """numpy scalars/arrays → Python; non-finite floats → "inf"/"-inf"/None (valid JSON)."""
    import numpy as np

    if isinstance(v, dict):
        return {str(k) if not isinstance(k, tuple) else ",".join(map(str, k)): _jsonable(x)
                for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if v is None or isinstance(v, str):
        return v
    return str(v)


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(_jsonable(obj), indent=2, allow_nan=False) + "\n")


def _fmt(v: Any, digits: int = 6) -> str:
    """Numbers the way the results tables print them."""
    import numpy as np

    from ._utils.tables import _fmt as fmt

    if isinstance(v, (np.floating, np.integer)):
        v = v.item()
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=4, separator=", ", threshold=8)
    return fmt(v, digits)


def _parse_fixed(items: Sequence[str] | None) -> dict[str, float]:
    """``["sigma=1", "mu=0,p=0.5"]`` → ``{"sigma": 1.0, "mu": 0.0, "p": 0.5}``."""
    out: dict[str, float] = {}
    for item in items or ():
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, value = part.partition("=")
            if not sep or not name.strip():
                raise ParameterError(f"--fixed expects NAME=VALUE, got {part!r}")
            try:
                out[name.strip()] = float(value)
            except ValueError:
                raise ParameterError(
                    f"--fixed {name.strip()}: {value.strip()!r} is not a number") from None
    return out


def _check_report_target(report: Path | None, inputs: Sequence[Path | str] = ()) -> None:
    """Fail before any work if the report would overwrite an input file."""
    if report is None:
        return
    from .report import check_output_path

    check_output_path(report, inputs)


def _say_written(path: Path, quiet: bool) -> None:
    if not quiet:
        _console(stderr=True).print(f"report written to {path}", markup=False)


def _parse_links(items: Sequence[str] | None) -> tuple[str | None, dict[str, str]]:
    """``["log", "sigma=log,nu=log"]`` → ``("log", {"sigma": "log", "nu": "log"})``: the
    location's link (a bare name) and the other parameters' (NAME=LINK), each checked."""
    from .links import get_link

    plain: str | None = None
    named: dict[str, str] = {}
    for item in items or ():
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, value = part.partition("=")
            name, value = name.strip(), value.strip()
            if not sep:
                if plain is not None:
                    raise ParameterError(f"--link: two links for the location ({plain!r} "
                                         f"and {part!r}); name the others, e.g. sigma=log")
                get_link(part)
                plain = part
                continue
            if not name.isidentifier() or not value:
                raise ParameterError(f"--link expects LINK or NAME=LINK (e.g. sigma=log), "
                                     f"got {part!r}")
            if name in named:
                raise ParameterError(f"--link gives parameter {name!r} twice")
            get_link(value)
            named[name] = value
    return plain, named


def _parse_param_formulas(items: Sequence[str] | None) -> dict[str, str]:
    """``["sigma=~ x1", "nu=~ 1"]`` → ``{"sigma": "~ x1", "nu": "~ 1"}`` (text only: the
    formulas are read later by the whitelist grammar, never evaluated)."""
    out: dict[str, str] = {}
    for item in items or ():
        name, sep, text = str(item).partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or name.startswith("__"):
            shown = item if len(item) <= 60 else item[:57] + "..."
            raise ParameterError(f"--param-formula expects NAME=FORMULA with NAME a parameter "
                                 f"of the family, e.g. \"sigma=~ x1\"; got {shown!r}")
        if not text.strip():
            raise ParameterError(f"--param-formula {name}=: the formula is empty; write e.g. "
                                 f"\"{name}=~ x1\" (or \"{name}=~ 1\" for a constant)")
        if name in out:
            raise ParameterError(f"--param-formula gives parameter {name!r} twice")
        out[name] = text.strip()
    return out


def _columns_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        raise DataError("--features is empty (give e.g. --features x1,x2)")
    return cols


# API argument names in messages → the flags of the command line. The API raises its errors
# in its own words (``fixed={'alpha': ...}``); `main` passes every MlekitError message, every
# warning and every printed note through this one table, so the same fact reads as a flag at
# the shell and as an argument in Python.
_FLAG_WORDS: tuple[tuple[str, str], ...] = (
    (r"fixed=\{\{?'(\w+)': (?:\.\.\.|value)\}?\}", r"--fixed \1=VALUE"),
    (r"fixed=\{\.\.\.\}", "--fixed NAME=VALUE"),
    (r"\bcheck='warn' or 'off'", "--check warn or --check off"),
    (r"\bcheck='warn'", "--check warn"),
    (r"(?:\w+\.)?conf_int\(method='profile'\)", "--ci profile"),
    (r"\(use bootstrap=\)", "(use --bootstrap B)"),
    (r"\bbootstrap=", "--bootstrap B"),
    (r"\bsample_weight\b", "--weights"),
    (r"\balpha_l2\b", "--alpha-l2"),
    (r"\balpha_l1\b", "--alpha-l1"),
    (r"\bcov_type\b", "--cov-type"),
    (r"dispersion='(\w+)'", r"--dispersion \1"),
    (r"\(or None: the family's default\)", "(or leave it out: the family's default)"),
    (r"\bmk\.fit\(y, family\)", "mlekit fit"),
    (r"(column '[^']*' has an empty cell / NaN in row \d+ \(values must be finite numbers)\)",
     r"\1; --dropna drops such rows)"),
)


def _flag_words(text: str) -> str:
    """Say an API message in the command line's words (see ``_FLAG_WORDS``).

    >>> _flag_words("hold parameters with fixed={...}")
    'hold parameters with --fixed NAME=VALUE'
    >>> _flag_words("use conf_int(method='profile')")
    'use --ci profile'
    """
    import re

    for pattern, repl in _FLAG_WORDS:
        text = re.sub(pattern, repl, text)
    return text


def _drop_missing(df: Any, cols: Sequence[str], source: str, dropna: bool,
                  quiet: bool) -> Any:
    """``--dropna``: drop the rows with an empty cell / NaN in any of ``cols`` (the columns
    the command uses) and say how many on stderr, in one line. Without ``--dropna`` the
    frame is returned as it is: a NaN stays the error that names its column and row."""
    if not dropna:
        return df
    used = [c for c in dict.fromkeys(cols) if c in df.columns]
    missing = df[used].isna()
    bad = missing.any(axis=1).to_numpy()
    k, n = int(bad.sum()), len(df)
    if k == n:
        raise DataError(f"{source}: every row has an empty cell / NaN in the columns used "
                        f"({', '.join(used)}); --dropna leaves nothing to fit")
    if k and not quiet:
        where = [c for c in used if bool(missing[c].any())]
        sys.stderr.write(f"mlekit: dropped {k} of {n} rows with an empty cell / NaN in "
                         f"{', '.join(where)} (--dropna)\n")
    return df.loc[~bad].reset_index(drop=True) if k else df


def _numeric_column(df: Any, col: str, flag: str, source: str, *, positive: bool = False,
                    nonnegative: bool = False, integer: bool = False) -> np.ndarray:
    """A per-row column given by a flag (``--weights w``), its file rows checked (1-based)."""
    import numpy as np

    from .io import _column_hint, as_numeric_column

    if col not in df.columns:
        raise DataError(f"{flag} {col}: {source} has no column {col!r}"
                        f"{_column_hint(col, list(df.columns))}")
    v = as_numeric_column(df[col], col, source=source)
    bad = (v <= 0) if positive else (v < 0) if nonnegative else np.zeros(v.shape, bool)
    if integer:
        bad |= v != np.round(v)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        rule = ("a whole number " if integer else "") + ("> 0" if positive else ">= 0")
        raise DataError(f"{source}: {flag} column {col!r} must be {rule}; row {i + 1} is "
                        f"{v[i]:g}")
    return v


def _regress_rows(df: Any, extras: dict[str, str], source: str) -> dict[str, np.ndarray]:
    """The per-row arguments of ``Regression.fit`` from their columns: ``--weights`` →
    ``sample_weight``, ``--offset``, ``--exposure``, ``--trials`` (Binomial)."""
    rule = {"--weights": ("sample_weight", {"nonnegative": True}), "--offset": ("offset", {}),
            "--exposure": ("exposure", {"positive": True}),
            "--trials": ("trials", {"positive": True, "integer": True})}
    return {rule[flag][0]: _numeric_column(df, col, flag, source, **rule[flag][1])
            for flag, col in extras.items()}


def _check_level(level: float) -> None:
    if not (0.0 < level < 1.0):
        raise ParameterError(f"--level must lie strictly between 0 and 1 (e.g. --level 0.9), "
                             f"not {level:g}")


# The two checks below run before a command imports NumPy, pandas or a family, so the
# commonest mistakes answer in a fraction of a second (issue #24; benchmarks/bench_startup.py).
def _check_input_file(path: Path | str) -> None:
    """Refuse a missing file or a directory with :func:`mlekit.io.read_table`'s own words
    (a test holds the two messages equal), without importing pandas."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    if p.is_dir():
        raise DataError(f"{p}: is a directory, not a data file")


def _check_family_names(text: str | None) -> None:
    """Refuse an unknown family name (or one in a comma list) with the message of
    :func:`mlekit.get_family`, from the table of names, without importing a family."""
    if text is not None:
        from ._utils.family_names import check_family_names

        check_family_names(text)


# ---------------------------------------------------------------------------- families
@app.command("families")
def families_cmd(json_: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """List the registered families: parameters, domains, support, mean parameter, link.

    Example:  mlekit families --json
    """
    from .families import FAMILIES

    rows = []
    for name, fam in sorted(FAMILIES.items()):
        rows.append({
            "name": name,
            "title": fam.title,
            "parameters": {p.name: repr(p.domain) for p in fam.parameters},
            "support": repr(fam.support),
            "discrete": bool(fam.discrete),
            "mean_parameter": fam.mean_parameter,
            "canonical_link": fam.canonical_link,
        })
    if json_:
        _print_json(rows)
    if quiet or json_:
        return
    from rich.table import Table

    t = Table(title=f"{len(rows)} registered families", title_justify="left")
    for col in ("family", "parameters", "support", "kind", "mean parameter", "canonical link"):
        t.add_column(col, no_wrap=col in ("family", "parameters", "support"))
    for r in rows:
        t.add_row(r["name"], "\n".join(f"{k} ∈ {v}" for k, v in r["parameters"].items()),
                  r["support"], "discrete" if r["discrete"] else "continuous",
                  r["mean_parameter"] or "—", r["canonical_link"] or "—")
    _console().print(t)


# ---------------------------------------------------------------------------- datasets
@app.command("datasets")
def datasets_cmd(json_: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """List the small real data sets shipped with mlekit (with their CSV paths).

    Example:  mlekit fit "$(mlekit datasets --json | jq -r '.[] | select(.name=="nile").path')"
    --column volume --family normal
    """
    from . import datasets

    rows = [{"name": n, "title": datasets.DATASETS[n].title, "rows": datasets.DATASETS[n].rows,
             "use": datasets.DATASETS[n].use, "licence": datasets.DATASETS[n].licence,
             "path": str(datasets.path(n))} for n in datasets.list()]
    if json_:
        _print_json(rows)
    if quiet or json_:
        return
    from rich.table import Table

    t = Table(title="shipped data sets (mk.datasets.load(name))", title_justify="left")
    for col in ("name", "rows", "what", "use", "licence"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["name"], str(r["rows"]), r["title"], r["use"], r["licence"])
    con = _console()
    con.print(t)
    con.print(f"files: {Path(rows[0]['path']).parent}", markup=False)


# ---------------------------------------------------------------------------- derive
def derivation_json(d: Any, family: str) -> dict[str, Any]:
    """The machine-readable form of a Derivation (strings for the symbolic parts)."""
    steps = []
    for s in getattr(d, "steps", ()) or ():
        if isinstance(s, dict):
            steps.append({k: str(v) for k, v in s.items()})
        else:
            entry = {}
            for attr in ("name", "title", "label", "expr", "reason"):
                if hasattr(s, attr):
                    entry[attr] = str(getattr(s, attr))
            steps.append(entry or str(s))
    return {"family": family, "loss_name": str(getattr(d, "loss_name", "")),
            "scale": str(getattr(d, "scale", "")), "constant": str(getattr(d, "constant", "")),
            "steps": steps, "text": str(d)}


@app.command("derive")
def derive_cmd(
    family: Annotated[str | None, typer.Argument(
        help="Family name (see `mlekit families`); or give --density instead.")] = None,
    density: Annotated[str | None, typer.Option(
        "--density", metavar="FORMULA",
        help="Derive for your own density p(x; θ), a formula in x and the --param names, "
        "e.g. \"exp(-abs(x - mu)/b) / (2*b)\" (parsed safely; never evaluated).")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", metavar="NAME=DOMAIN",
        help="A parameter of --density and its domain: real, positive, nonnegative or unit "
        "(repeat, or separate with commas).")] = None,
    support: Annotated[str, typer.Option(
        "--support", help="Where x lives for --density: real, positive, nonnegative, unit, "
        "binary, counts, positive_integers or signs.")] = "real",
    wrt: Annotated[list[str] | None, typer.Option(
        "--wrt", metavar="PARAM", help="Parameter(s) to derive the loss for (repeatable).")] = None,
    fixed: Annotated[list[str] | None, typer.Option(
        "--fixed", metavar="NAME[=VALUE]",
        help="Parameters held fixed (known), optionally at a value; repeat or use commas.",
    )] = None,
    link: Annotated[str | None, typer.Option(
        "--link", help="Conditional model: the mean parameter = link⁻¹(wᵀx) (e.g. identity, "
        "logit).")] = None,
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="text | latex | markdown | mathml")] = "text",
    check: CheckOpt = "raise",
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    report: ReportOpt = None,
) -> None:
    """Derive the negative log-likelihood of a family and name the loss it is.

    NLL = a · Σ loss_i + c, with the scale a and the constant c reported.

    Examples:
      mlekit derive normal --wrt mu            (squared error, a = 1/(2σ²))
      mlekit derive bernoulli --format latex   (binary cross-entropy)
      mlekit derive normal --link identity     (linear regression → MSE)
      mlekit derive --density "exp(-abs(x - mu)/b) / (2*b)" --param mu=real --param b=positive
                                               (your own density: absolute error)
    """
    from .derive import derive

    fmt = fmt.lower().strip()
    if fmt not in ("text", "latex", "markdown", "mathml"):
        raise ParameterError(f"--format must be text, latex, markdown or mathml, not {fmt!r}")
    fam = _derive_family(family, density, param, support, check)
    _check_report_target(report)
    kwargs: dict[str, Any] = {}
    if wrt:
        names = [w.strip() for item in wrt for w in item.split(",") if w.strip()]
        kwargs["wrt"] = names[0] if len(names) == 1 else names
    if fixed:
        items = [w.strip() for item in fixed for w in item.split(",") if w.strip()]
        if any("=" in i for i in items):  # values given: {name: value or None}
            kwargs["fixed"] = {i: None for i in items if "=" not in i}
            kwargs["fixed"].update(_parse_fixed([i for i in items if "=" in i]))
        else:
            kwargs["fixed"] = items
    if link:
        kwargs["link"] = link
    d = derive(fam, **kwargs)
    if report is not None:
        from .report import derive_report

        derive_report(d, fam, report)
    if json_:
        out = derivation_json(d, fam.name)
        out["rendered"] = {"latex": d.to_latex(), "markdown": d.to_markdown(),
                           "mathml": d.to_mathml()}[fmt] if fmt != "text" else str(d)
        _print_json(out)
    elif not quiet:
        if fmt == "text":
            from rich.panel import Panel
            from rich.text import Text

            _console().print(Panel(Text(str(d)), title=f"{fam.title}: negative log-likelihood",
                                   title_align="left", expand=False))
        else:
            sys.stdout.write({"latex": d.to_latex, "markdown": d.to_markdown,
                              "mathml": d.to_mathml}[fmt]().rstrip("\n") + "\n")
    if report is not None:
        _say_written(report, quiet or json_)


def _derive_family(family: str | None, density: str | None, param: list[str] | None,
                   support: str, check: str = "raise"):
    """The registered family named ``family``, or a custom one from ``--density`` (its
    formula read by the whitelist grammar of :mod:`mlekit.grammar`, never evaluated;
    ``check`` as in :func:`mlekit.custom_family`, from ``--check``)."""
    if density is None:
        if param:
            raise ParameterError("--param is for --density (a registered family declares its "
                                 "own parameters)")
        if family is None:
            raise ParameterError("give a family name (e.g. `mlekit derive normal`) or "
                                 "--density FORMULA with --param NAME=DOMAIN")
        from .families import get_family

        return get_family(family)
    if family is not None:
        raise ParameterError(f"give either a family name ({family!r}) or --density, not both")
    items = [p.strip() for item in (param or []) for p in item.split(",") if p.strip()]
    if not items:
        raise ParameterError("--density needs its parameters: --param NAME=DOMAIN (e.g. "
                             "--param mu=real --param b=positive)")
    check = check.strip().lower()
    if check not in ("raise", "warn", "off"):
        raise ParameterError(f"--check must be raise, warn or off, not {check!r}")
    from .families.custom import custom_family

    return custom_family(density, items, support=support, name="custom",
                         title="Custom density", check=check)


# ---------------------------------------------------------------------------- fit
def _nobs(res: Any) -> Any:
    n = getattr(res, "nobs", None)
    return int(n) if isinstance(n, float) and n.is_integer() else n


def fit_json(res: Any, level: float = 0.95, ci_method: str = "wald",
             ci: dict[str, Any] | None = None) -> dict[str, Any]:
    """The machine-readable form of a FitResult in the shared schema (``JSON_SCHEMA``):
    fixed parameters are listed in ``fixed`` and have no ``bse`` or ``conf_int`` entry."""
    fixed = set(getattr(res, "fixed", None) or ())
    if ci is None:
        try:
            ci = res.conf_int(level, method=ci_method)
        except Exception:  # pragma: no cover - a result without a covariance
            ci = {}
    conf = {k: list(v) for k, v in ci.items() if k not in fixed}
    out = {
        "command": "fit", "schema": JSON_SCHEMA_VERSION,
        "family": getattr(res.family, "name", str(res.family)),
        "params": dict(res.params),
        "bse": {k: v for k, v in dict(res.bse or {}).items() if k not in fixed},
        "conf_int": conf, "level": level, "ci_method": ci_method,
        "fixed": sorted(fixed),
        "llf": res.llf, "aic": res.aic, "bic": res.bic, "nobs": _nobs(res),
        "method": res.method, "converged": res.converged,
        "notes": [_flag_words(str(n)) for n in getattr(res, "notes", ())],
    }
    if level == 0.95 and ci_method == "wald":
        out["conf_int_95"] = conf  # the key of schema 0 (tests/cli/test_cli_commands.py)
    return out


def _fit_table(res: Any, title: str, ci: dict[str, Any] | None = None, level: float = 0.95,
               ci_method: str = "wald"):
    from rich.table import Table

    if ci is None:
        try:
            ci = res.conf_int(level, method=ci_method)
        except Exception:  # pragma: no cover
            ci = {}
    t = Table(title=title, title_justify="left")
    head = f"{100 * level:g}% CI" + (f" ({ci_method})" if ci_method != "wald" else "")
    for col, just in (("parameter", "left"), ("estimate", "right"), ("std err", "right"),
                      (head, "right")):
        t.add_column(col, justify=just)
    bse = res.bse or {}
    fixed = set(getattr(res, "fixed", None) or ())
    for name, value in res.params.items():
        lo_hi = ci.get(name)
        if name in fixed or name not in bse:
            t.add_row(name, _fmt(value), "fixed", "")
            continue
        t.add_row(name, _fmt(value), _fmt(bse.get(name)),
                  f"[{_fmt(lo_hi[0])}, {_fmt(lo_hi[1])}]" if lo_hi is not None else "")
    nobs = _nobs(res)
    from rich.console import Group
    from rich.text import Text

    line = (f"log-likelihood {_fmt(res.llf)} · AIC {_fmt(res.aic)} · BIC {_fmt(res.bic)} · "
            f"n = {nobs} · method: {res.method}")
    notes = [Text(line, style="dim")]
    if not res.converged:
        notes.append(Text("the optimiser did NOT converge", style="bold red"))
    return Group(t, *notes)


@app.command("fit")
def fit_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or Parquet file.")],
    column: Annotated[str | None, typer.Option(
        "--column", "-c", help="Column holding the data (or give --low/--high).")] = None,
    family: Annotated[str | None, typer.Option(
        "--family", "-F", help="Family name; 'auto' to compare the applicable families by "
        "AIC (the rule is printed); or a comma-separated list to compare, e.g. "
        "gamma,weibull,lognormal (or give --density).")] = None,
    fixed: FixedOpt = None,
    weights: Annotated[str | None, typer.Option(
        "--weights", metavar="COLUMN", help="Column of non-negative frequency weights "
        "(weight 2 = the value twice; nobs is their sum).")] = None,
    low: Annotated[str | None, typer.Option(
        "--low", metavar="COLUMN", help="Interval censoring, with --high: the value lies in "
        "(low, high]; low = high is exact, an empty low is left-censored at high, an empty "
        "high right-censored at low.")] = None,
    high: Annotated[str | None, typer.Option(
        "--high", metavar="COLUMN", help="The upper ends of the intervals (see --low).")
                    ] = None,
    level: Annotated[float, typer.Option(
        "--level", help="Level of the confidence intervals.")] = 0.95,
    ci: Annotated[str, typer.Option(
        "--ci", help="Confidence intervals: wald (estimate ± z·se), profile (likelihood "
        "ratio; valid at a boundary) or bootstrap (parametric, --bootstrap B refits, "
        "percentile).")] = "wald",
    dropna: Annotated[bool, typer.Option(
        "--dropna", help="Drop the rows with an empty cell / NaN in --column or --weights "
        "(and say how many on stderr); without it such a row is an error.")] = False,
    density: DensityOpt = None,
    param: ParamOpt = None,
    support: SupportOpt = "real",
    check: CheckOpt = "raise",
    censored_column: Annotated[str | None, typer.Option(
        "--censored-column", help="0/1 column: 1 = right-censored at the value (the true "
        "value is larger).")] = None,
    bootstrap: Annotated[int | None, typer.Option(
        "--bootstrap", metavar="B", help="With --family auto or a list: B parametric-bootstrap "
        "samples for a KS p-value per family; with --ci bootstrap: B refits (default "
        "999).")] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    report: ReportOpt = None,
) -> None:
    """Fit a family to one column by maximum likelihood (sums of logs).

    Examples:
      mlekit fit nile.csv --column volume --family normal
      mlekit fit nile.csv --column volume --family normal --fixed sigma=150 --json
      mlekit fit strikes.csv --column duration --family auto
      mlekit fit strikes.csv --column duration --family gamma,weibull,lognormal
      mlekit fit times.csv --column t --censored-column still_running --family normal
      mlekit fit assay.csv --low lo --high hi --family lognormal --ci profile
      mlekit fit nile.csv -c volume --density "exp(-abs(x - mu)/b) / (2*b)"
        --param mu=real --param b=positive
    """
    ci = ci.strip().lower()
    if ci not in ("wald", "profile", "bootstrap"):
        raise ParameterError(f"--ci must be wald, profile or bootstrap, not {ci!r}")
    _check_level(level)
    if density is not None:
        fam = _derive_family(family, density, param, support, check)
        family = fam.name
    elif param:
        raise ParameterError("--param is for --density (a registered family declares its "
                             "own parameters)")
    elif family is None:
        raise ParameterError("give --family NAME (or auto), or --density FORMULA with "
                             "--param NAME=DOMAIN")
    interval = low is not None or high is not None
    if interval and (low is None or high is None):
        raise ParameterError("--low and --high go together (an empty cell is an open end)")
    if interval and (column is not None or censored_column is not None):
        raise ParameterError("--low/--high give the data as intervals: drop --column and "
                             "--censored-column")
    if not interval and column is None:
        raise ParameterError("give --column COLUMN (or --low COLUMN --high COLUMN for "
                             "interval-censored data)")
    if density is None:
        _check_family_names(family)
    _check_input_file(file)

    import numpy as np

    from .io import as_numeric_column, read_table

    candidates: str | list[str] | None = None  # --family auto or a list: compare them
    if density is None:
        from .estimate.compare import split_families
        from .families import get_family

        names = split_families(family)
        if family.strip().lower() == "auto":
            candidates = "auto"
        elif len(names) > 1:
            for name in names:  # an unknown name is one line naming it, with did-you-mean
                get_family(name)
            candidates = names
        fam = None if candidates is not None else get_family(family)
    auto = candidates is not None
    fixed_d = _parse_fixed(fixed)
    if auto and (fixed_d or censored_column or interval or weights or ci != "wald"
                 or level != 0.95):
        raise ParameterError("--family auto (or a list) cannot be combined with --fixed, "
                             "--weights, --ci, --level, --censored-column or --low/--high; "
                             "name one family")
    if bootstrap is not None and (not (auto or ci == "bootstrap") or bootstrap < 1):
        raise ParameterError("--bootstrap B (B >= 1) needs --family auto or a list of "
                             "families, or --ci bootstrap")
    if censored_column is not None and censored_column == column:
        raise DataError(f"--censored-column must differ from --column ({column!r})")
    _check_report_target(report, [file])
    cols = [c for c in (column, low, high, censored_column, weights) if c is not None]
    if len(set(cols)) < len(cols):
        raise DataError(f"--column, --low, --high, --censored-column and --weights must name "
                        f"different columns (got {', '.join(cols)})")
    df = read_table(file, columns=cols)
    df = _drop_missing(df, [c for c in (column, censored_column, weights) if c is not None],
                       str(file), dropna, quiet)
    w = None if weights is None else _numeric_column(df, weights, "--weights", str(file),
                                                      nonnegative=True)
    if interval:
        x = None
    else:
        x = as_numeric_column(df[column], column, source=str(file))

    if auto:
        _fit_auto(x, file, column, bootstrap, json_, quiet, report, candidates)
        return

    from .estimate import fit

    data: Any = x
    if interval:
        from .estimate import Censored

        lo = as_numeric_column(df[low], low, source=str(file), allow_nan=True)
        hi = as_numeric_column(df[high], high, source=str(file), allow_nan=True)
        both = np.isnan(lo) & np.isnan(hi)
        if both.any():
            i = int(np.flatnonzero(both)[0])
            raise DataError(f"{file}: row {i + 1} has neither --low ({low!r}) nor --high "
                            f"({high!r}): it carries no information; remove it")
        bad = lo > hi
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{file}: row {i + 1} has {low} = {lo[i]:g} > {high} = {hi[i]:g}; "
                            f"--low must be <= --high")
        data = Censored(lo, hi)
    if censored_column:
        from .estimate import Censored

        c = as_numeric_column(df[censored_column], censored_column, source=str(file))
        bad = ~np.isin(c, (0.0, 1.0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{file}: column {censored_column!r} must be 0/1 "
                            f"(1 = censored); row {i + 1} is {c[i]:g}")
        data = Censored.from_indicator(x, censored=c.astype(bool))
    res = fit(data, fam, weights=w, fixed=fixed_d or None)
    conf = res.conf_int(level, method=ci) if ci != "bootstrap" else \
        res.conf_int(level, method="bootstrap", n_boot=bootstrap or 999, rng=0)
    if report is not None:
        from .report import fit_report

        fit_report(res, data, report, source=f"{file} · column {column}", inputs=[file])
    if json_:
        out = fit_json(res, level, ci, conf)
        out.update({"file": str(file)})
        if column is not None:
            out["column"] = column
        if censored_column or interval:
            out["censored"] = int(np.sum(data.low != data.high))
        if weights is not None:
            out["weights"] = weights
        _print_json(out)
    elif not quiet:
        what = column if column is not None else f"({low}, {high}]"
        _console().print(_fit_table(res, f"{fam.title} fit to {file.name}:{what}", conf,
                                    level, ci))
    if report is not None:
        _say_written(report, quiet or json_)


def _fit_auto(x, file, column, bootstrap, json_, quiet, report,
              candidates: str | list[str] = "auto") -> None:
    """``--family auto`` (every applicable family, by the rule of ``auto_rule``) or a
    comma-separated list: fit each and rank them by AIC."""
    from .estimate import compare

    show = not (quiet or json_) and sys.stderr.isatty()
    if show:
        with _console(stderr=True).status("fitting the "
                                          + ("applicable" if candidates == "auto" else "listed")
                                          + " families"
                                          + (f" with {bootstrap} bootstrap samples each"
                                             if bootstrap else "") + " …"):
            comp = compare(x, candidates, bootstrap=bootstrap)
    else:
        comp = compare(x, candidates, bootstrap=bootstrap)
    best = comp.best
    if report is not None:
        from .report import fit_report

        fit_report(best, x, report, source=f"{file} · column {column} · best by AIC",
                   inputs=[file], comparison=comp)
    if json_:
        table = comp.table
        rows = table.to_dict(orient="index") if hasattr(table, "to_dict") else table
        out = _json_head("fit")
        out.update({"method": "auto", "file": str(file), "column": column,
                    "nobs": comp.nobs, "best": getattr(best.family, "name", str(best.family)),
                    "ranking": rows, "failed": dict(comp.failed),
                    "rule": comp.rule, "tried": list(comp.tried),
                    "skipped": {k: _flag_words(v) for k, v in comp.skipped.items()},
                    "fits": {k: fit_json(v) for k, v in comp.fits.items()},
                    "notes": [_flag_words(str(n)) for n in comp.summary().notes]})
        _print_json(out)
    elif not quiet:
        _print_table(rich_results_table(comp.summary()))
    if report is not None:
        _say_written(report, quiet or json_)


# ---------------------------------------------------------------------------- regress
JSON_SCHEMA_VERSION = 1

#: The keys of ``--json`` (docs/guides/cli.rst lists them; tests hold every command to
#: them). ``common`` is in every output; ``estimates`` in ``fit`` (one family) and
#: ``regress``: the same key means the same thing in both.
JSON_SCHEMA: dict[str, dict[str, str]] = {
    "common": {
        "command": "the command that wrote it: fit, regress or kl",
        "schema": "the version of this schema (1)",
        "method": "how the result was computed (fit: closed form / generic; regress: the "
                  "solver; kl: closed form / exact / quad / mc)",
        "notes": "remarks, as printed under the table (list of text)",
    },
    "estimates": {
        "family": "the family's registry name",
        "params": "{name: estimate} (regress: one per coefficient, on the link scale)",
        "bse": "{name: standard error} (free parameters only)",
        "conf_int": "{name: [low, high]} at level (free parameters only)",
        "level": "the confidence level of conf_int (--level, default 0.95)",
        "ci_method": "wald or profile (--ci)",
        "fixed": "names of the parameters held at given values (--fixed)",
        "llf": "the maximised log-likelihood",
        "aic": "-2 llf + 2 k",
        "bic": "-2 llf + k log(nobs)",
        "nobs": "number of observations (the sum of the weights when weighted)",
        "converged": "did the optimiser converge (true/false)",
        "file": "the data file",
    },
    "fit": {"column": "the data column (absent with --low/--high)"},
    "fit --family auto": {
        "file": "the data file", "column": "the data column",
        "nobs": "number of observations", "best": "the family with the smallest AIC",
        "ranking": "{family: {k, llf, AIC, BIC, dAIC, …}} as printed",
        "failed": "{family: why its fit failed}",
        "fits": "{family: the fit output of that family}",
        "rule": "the rule that chose the families, as applied to these data (a list: "
                "'the families named')",
        "tried": "[families attempted, fitted or failed]",
        "skipped": "{registered family not tried: why} (auto only)",
    },
    "regress": {
        "target": "the response column",
        "features": "the design's columns",
        "pvalues": "{name: two-sided Wald p-value (z, or t where the table has t tests)}",
        "cov_type": "nonrobust, HC0, HC1, HC2, HC3, 'cluster (G groups, CR1)' or "
                    "'HAC (maxlags = L, Bartlett)' (--cov-type)",
        "nuisance": "{name: value} of the parameters without covariates (natural scale)",
        "nuisance_bse": "{name: delta-method standard error} of nuisance",
        "rows": "{name: {coef, std err, z, P>|z|, ci_low, ci_high}}: the printed table "
                "(schema 0; kept for scripts that read it)",
    },
    "kl": {
        "p": "P as parsed", "q": "Q as parsed", "kl": "KL(P‖Q) in nats",
        "error": "the error estimate of kl (0 for a closed form)",
        "seed": "the Monte Carlo seed (null otherwise)",
        "reverse_kl": "KL(Q‖P)", "reverse_method": "method of reverse_kl",
        "reverse_notes": "notes of reverse_kl",
    },
}


def _json_head(command: str) -> dict[str, Any]:
    return {"command": command, "schema": JSON_SCHEMA_VERSION}


def regress_json(res: Any, level: float = 0.95) -> dict[str, Any]:
    """A RegressionResult in the shared schema (``JSON_SCHEMA``), with the printed table's
    ``title``, ``info``, ``columns``, ``rows`` (and ``blocks``) kept for old scripts."""
    table = results_table_json(res.summary(level))
    rows = table["rows"]
    out = _json_head("regress")
    out.update({
        "family": res.model.family.name,
        "params": {k: r["coef"] for k, r in rows.items()},
        "bse": {k: r["std err"] for k, r in rows.items()},
        "conf_int": {k: [r["ci_low"], r["ci_high"]] for k, r in rows.items()},
        "level": level, "ci_method": "wald",
        "pvalues": {k: next((v for c, v in r.items() if c.startswith("P>|")), None)
                    for k, r in rows.items()},
        "fixed": sorted(res.model.fixed),
        "llf": res.llf, "aic": res.aic, "bic": res.bic, "nobs": _nobs(res),
        "converged": res.converged, "method": res.method, "cov_type": res.cov_type,
        "nuisance": res.nuisance, "nuisance_bse": res.nuisance_bse,
    })
    table["notes"] = [_flag_words(str(n)) for n in table["notes"]]
    out.update(table)
    return out


def results_table_json(rt: Any) -> dict[str, Any]:
    """A :class:`~mlekit._utils.tables.ResultsTable` as plain data."""
    cols = list(rt.columns)
    # "95% low", "95% high" (interval bounds in the printed table) become ci_low / ci_high
    for i in range(len(cols) - 1):
        if cols[i].endswith("% low") and cols[i + 1].endswith("% high"):
            cols[i], cols[i + 1] = "ci_low", "ci_high"
    out: dict[str, Any] = {"title": rt.title, "info": {str(k): v for k, v in rt.info},
                           "columns": cols}
    if any(vals is None for _, vals in rt.rows):
        # one block per modelled parameter (heading "sigma  (log link)"): rows are keyed
        # "parameter:term", and "blocks" holds {parameter: {term: row}}
        blocks: dict[str, dict[str, Any]] = {}
        current = ""
        for name, vals in rt.rows:
            if vals is None:
                current = str(name).split()[0] if str(name).split() else str(name)
                blocks.setdefault(current, {})
            else:
                blocks.setdefault(current, {})[name] = dict(zip(cols, vals, strict=False))
        out["rows"] = {f"{b}:{t}": row for b, rows in blocks.items() for t, row in rows.items()}
        out["blocks"] = blocks
    else:
        out["rows"] = {name: dict(zip(cols, vals, strict=False)) for name, vals in rt.rows}
    out["notes"] = list(rt.notes)
    return out


def rich_results_table(rt: Any):
    """Render a ResultsTable with rich: facts as a grid, then the coefficient table."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    facts = Table.grid(padding=(0, 2))
    for _ in range(4):
        facts.add_column()
    info = [(k, _fmt(v)) for k, v in rt.info]
    for i in range(0, len(info), 2):
        pair = info[i:i + 2]
        cells: list[str] = []
        for k, v in pair:
            cells += [f"{k}:", v]
        facts.add_row(*cells)
    parts: list[Any] = [Text(rt.title, style="bold"), facts]
    if rt.columns:
        from rich import box

        t = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
        t.add_column("", no_wrap=True,
                     min_width=max([len(str(name)) for name, _ in rt.rows] + [1]))
        cells = [None if vals is None else [_fmt(v) for v in vals] for _, vals in rt.rows]
        for j, c in enumerate(rt.columns):
            widest = max([len(str(c))] + [len(r[j]) for r in cells
                                          if r is not None and j < len(r)])
            t.add_column(c, justify="right", no_wrap=True, min_width=widest)
        for i, ((name, _), row) in enumerate(zip(rt.rows, cells, strict=True)):
            if row is None:  # a block heading: one block per modelled parameter
                if i:
                    t.add_section()
                t.add_row(Text(str(name), style="bold"), *[""] * len(rt.columns))
            else:
                t.add_row(name, *row)
        parts.append(t)
    parts += [Text(_flag_words(str(n)), style="dim") for n in rt.notes]
    return Group(*parts)


@app.command("regress")
def regress_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or Parquet file.")],
    target: Annotated[str | None, typer.Option("--target", "-y", help="Response column.")] = None,
    features: Annotated[str | None, typer.Option(
        "--features", "-x", help="Comma-separated feature columns (default: all other "
        "numeric columns).")] = None,
    family: Annotated[str, typer.Option("--family", "-F", help="Response family.")] = "normal",
    link: Annotated[list[str] | None, typer.Option(
        "--link", metavar="LINK | NAME=LINK",
        help="Link of the mean/location (default: canonical); NAME=LINK for another "
        "parameter, e.g. --link sigma=log. Repeat or separate with commas.")] = None,
    formula: Annotated[str | None, typer.Option(
        "--formula", help="Model formula, e.g. \"y ~ x1 + x2\" (read by mlekit's own "
        "grammar, never evaluated).")] = None,
    param_formula: Annotated[list[str] | None, typer.Option(
        "--param-formula", metavar="NAME=FORMULA",
        help="A one-sided formula for another parameter of the family (distributional "
        "regression), e.g. --param-formula \"sigma=~ x1\"; repeat for more parameters. "
        "Needs --formula (the location's, with the response); a parameter without one "
        "is a constant.")] = None,
    no_intercept: Annotated[bool, typer.Option("--no-intercept",
                                               help="Fit without an intercept.")] = False,
    alpha_l2: Annotated[float, typer.Option(
        "--alpha-l2", metavar="ALPHA", help="Gaussian-prior precision on the slopes (ridge / "
        "MAP); 0 = maximum likelihood. Use it when classes are separated.")] = 0.0,
    alpha_l1: Annotated[float, typer.Option(
        "--alpha-l1", metavar="ALPHA", help="Laplace-prior (lasso) penalty on the slopes: "
        "alpha · Σ|β_j| is added to the NLL; 0 = none.")] = 0.0,
    weights: Annotated[str | None, typer.Option(
        "--weights", metavar="COLUMN", help="Column of non-negative frequency weights "
        "(weight 2 = the row twice).")] = None,
    offset: Annotated[str | None, typer.Option(
        "--offset", metavar="COLUMN", help="Column added to the linear predictor of the "
        "mean.")] = None,
    exposure: Annotated[str | None, typer.Option(
        "--exposure", metavar="COLUMN", help="Column of positive exposures: log(exposure) "
        "is added to the offset (log links, e.g. Poisson rates).")] = None,
    trials: Annotated[str | None, typer.Option(
        "--trials", metavar="COLUMN", help="Binomial: the number of trials of each row "
        "(the target holds the successes).")] = None,
    cov_type: Annotated[str, typer.Option(
        "--cov-type", help="Standard errors: nonrobust (inverse information), a sandwich "
        "HC0, HC1, HC2, HC3, cluster (cluster-robust CR1, with --groups) or HAC "
        "(Newey-West over the rows in file order, with --maxlags).")] = "nonrobust",
    groups: Annotated[str | None, typer.Option(
        "--groups", metavar="COLUMN", help="--cov-type cluster: the column of cluster labels "
        "(any values; rows of a cluster may be correlated, clusters are independent). Left "
        "out of the default features.")] = None,
    maxlags: Annotated[int | None, typer.Option(
        "--maxlags", metavar="L", help="--cov-type HAC: the number of lags of the "
        "Newey-West (Bartlett) covariance.")] = None,
    dispersion: Annotated[str | None, typer.Option(
        "--dispersion", help="Normal, Gamma, inverse Gaussian: pearson (R's lm / summary.glm "
        "and statsmodels GLM: scale = Pearson chi2/(n - p), t tests) or ml (pure maximum "
        "likelihood, z tests); default: pearson where it is defined.")] = None,
    event: Annotated[str | None, typer.Option(
        "--event", metavar="COLUMN", help="Survival data: a column that is 1 where the target "
        "was observed and 0 where it is right-censored (the event had not happened yet); "
        "the censored likelihood is maximised (Weibull: survreg's AFT model).")] = None,
    fixed: FixedOpt = None,
    level: Annotated[float, typer.Option(
        "--level", help="Level of the confidence and prediction intervals.")] = 0.95,
    ci: Annotated[str, typer.Option(
        "--ci", help="Confidence intervals of the mean coefficients: wald, profile (refits; "
        "MASS::confint) or bootstrap (cases, --bootstrap B refits, percentile).")] = "wald",
    bootstrap: Annotated[int | None, typer.Option(
        "--bootstrap", metavar="B", help="With --ci bootstrap: the number of refits "
        "(default 999).")] = None,
    predict: Annotated[Path | None, typer.Option(
        "--predict", metavar="NEWDATA", help="A CSV/Parquet file of new rows: write their "
        "predictions and prediction intervals (at --level) to --out.")] = None,
    out_path: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE", help="With --predict: the CSV to write (atomically; never "
        "over an input).")] = None,
    dropna: Annotated[bool, typer.Option(
        "--dropna", help="Drop the rows with an empty cell / NaN in a column the model uses "
        "(and say how many on stderr); without it such a row is an error.")] = False,
    dask: Annotated[bool, typer.Option(
        "--dask", help="Read FILE (a Parquet file, directory or glob such as "
        "'data/*.parquet') lazily with Dask and fit chunk by chunk (needs mlekit[dask]).")
                    ] = False,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="With --dask: address of a dask.distributed scheduler, e.g. "
        "tcp://host:8786 (default: threads in this process). mlekit waits at most 5 s for "
        "it to answer.")] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    report: ReportOpt = None,
) -> None:
    """Conditional maximum likelihood: regress a target on features (a GLM).

    Examples:
      mlekit regress longley.csv --target TOTEMP --family normal
      mlekit regress anes96.csv --target vote --features PID,age,educ --family bernoulli
      mlekit regress anes96.csv --formula "vote ~ PID + age + educ" --family bernoulli --json
      mlekit regress 'data/*.parquet' --formula "y ~ x1 + x2" --family poisson --dask
      mlekit regress data.csv --formula "y ~ x1 + x2" --param-formula "sigma=~ x1"
      mlekit regress panel.csv --target y --family poisson --cov-type cluster --groups firm
    """
    _check_family_names(family)
    if not dask:  # with --dask, FILE may be a pattern ('data/*.parquet')
        _check_input_file(file)

    import numpy as np
    import pandas as pd

    from .families import get_family
    from .io import _column_hint, as_numeric_column, read_table

    fam = get_family(family)
    if alpha_l2 < 0 or not np.isfinite(alpha_l2):
        raise ParameterError(f"--alpha-l2 must be a finite number >= 0, not {alpha_l2:g}")
    if alpha_l1 < 0 or not np.isfinite(alpha_l1):
        raise ParameterError(f"--alpha-l1 must be a finite number >= 0, not {alpha_l1:g}")
    _check_level(level)
    ci = ci.strip().lower()
    if ci not in ("wald", "profile", "bootstrap"):
        raise ParameterError(f"--ci must be wald, profile or bootstrap, not {ci!r}")
    if bootstrap is not None and (ci != "bootstrap" or bootstrap < 1):
        raise ParameterError("--bootstrap B (B >= 1) goes with --ci bootstrap")
    if (predict is None) != (out_path is None):
        raise ParameterError("--predict NEWDATA and --out FILE go together (the new rows, "
                             "and where to write their predictions)")
    if (ci != "wald" or predict is not None) and (dask or param_formula or event is not None):
        raise DataError("--ci profile/bootstrap and --predict are not available with --dask, "
                        "--param-formula or --event yet")
    fixed_d = _parse_fixed(fixed)
    extras = {flag: col for flag, col in (("--weights", weights), ("--offset", offset),
                                          ("--exposure", exposure), ("--trials", trials))
              if col is not None}
    plain_link, named_links = _parse_links(link)
    params = _parse_param_formulas(param_formula)
    if params and formula is None:
        raise DataError("--param-formula needs --formula (the location parameter's formula, "
                        "which carries the response), e.g. --formula 'y ~ x1 + x2'")
    if dask and (params or named_links):
        raise DataError("--param-formula and NAME=LINK entries of --link (distributional "
                        "regression) are not available with --dask; fit in memory")
    link = plain_link
    if params or named_links:
        from .regression._formula import location_parameter

        loc = location_parameter(fam, [*params, *named_links])
        if loc in params:
            raise ParameterError(
                f"--param-formula {loc}=…: {loc!r} is the location parameter, whose formula "
                "is --formula (with the response); give the others with --param-formula")
        if named_links:
            if plain_link is not None:
                if loc in named_links:
                    raise ParameterError(f"--link gives the link of {loc!r} twice "
                                         f"({plain_link!r} and {named_links[loc]!r})")
                named_links = {loc: plain_link, **named_links}
            link = named_links
    if dask and dispersion is not None:
        raise DataError("--dispersion is not available with --dask yet; fit in memory")
    if groups is not None and cov_type != "cluster":
        raise DataError(f"--groups {groups}: the clusters are used by --cov-type cluster "
                        f"only (not {cov_type})")
    if cov_type == "cluster" and groups is None:
        raise DataError("--cov-type cluster needs --groups COLUMN (the cluster of each row)")
    if maxlags is not None and cov_type != "HAC":
        raise DataError(f"--maxlags {maxlags}: the lags are used by --cov-type HAC only "
                        f"(not {cov_type})")
    if cov_type == "HAC" and (maxlags is None or maxlags < 0):
        raise DataError("--cov-type HAC needs --maxlags L, an integer >= 0 (the Newey-West "
                        f"lags, e.g. --maxlags 4){'' if maxlags is None else f'; got {maxlags}'}")
    robust = {"maxlags": maxlags} if maxlags is not None else {}
    if dask and (extras or alpha_l1 or fixed_d or cov_type != "nonrobust" or dropna):
        used = [*extras, *(["--alpha-l1"] if alpha_l1 else []), *(["--fixed"] if fixed_d else []),
                *(["--cov-type"] if cov_type != "nonrobust" else []),
                *(["--dropna"] if dropna else [])]
        raise DataError(f"{', '.join(used)}: not available with --dask yet; fit in memory "
                        "(without --dask)")
    if event is not None and dask:
        raise DataError("--event (a censored response) is fitted in memory; drop --dask")
    if dask:
        _regress_dask(file, target, features, formula, fam.name, link, not no_intercept,
                      alpha_l2, scheduler, json_, quiet, report)
        return
    if scheduler is not None:
        raise DataError("--scheduler needs --dask")
    _check_report_target(report, [file])
    df = read_table(file)
    from .regression import Regression

    if formula is not None:
        # the whitelist grammar reads the text; nothing of it is evaluated as Python
        from .grammar import parse_model_formula

        parsed = parse_model_formula(formula)
        for c in parsed.columns():
            if c not in df.columns:
                raise DataError(f"{file}: no column {c!r}{_column_hint(c, list(df.columns))}")
        if dropna:
            from .regression._formula import parse_param_formula

            used = [*parsed.columns(), *extras.values(), *([event] if event else []),
                    *([groups] if groups else [])]
            for k, text in params.items():
                used += parse_param_formula(text, k).columns()
            df = _drop_missing(df, used, str(file), dropna, quiet)
        fit_kw = _regress_rows(df, extras, str(file))
        resp = parsed.response
        target = resp.expr.name if resp is not None and resp.kind == "column" else \
            (resp.display if resp is not None else None)
        if resp is not None and resp.kind == "column":
            as_numeric_column(df[target], target, source=str(file))
        spec: str | dict[str, str] = formula
        if params:
            spec = {loc: formula, **params}
        if event is not None and event not in df.columns:
            raise DataError(f"{file}: no column {event!r}{_column_hint(event, list(df.columns))}")
        if groups is not None and groups not in df.columns:
            raise DataError(f"{file}: no column {groups!r}"
                            f"{_column_hint(groups, list(df.columns))}")
        model = Regression.from_formula(spec, df, family=fam.name, link=link,
                                        alpha_l2=alpha_l2, alpha_l1=alpha_l1,
                                        cov_type=cov_type, fixed=fixed_d or None,
                                        dispersion=dispersion, event=event,
                                        groups=None if groups is None else df[groups],
                                        **robust, **fit_kw)
        X = model.model_spec_.matrix(df)
        names = [str(c) for c in X.columns]
        y = model.model_spec_.response(df).to_numpy(dtype=float)
        if params:  # every parameter's design is rebuilt from the frame (report)
            X = df
    else:
        if target is None:
            raise DataError("give --target COLUMN (or --formula 'y ~ x1 + x2')")
        if target not in df.columns:
            raise DataError(f"{file}: no column {target!r}{_column_hint(target, list(df.columns))}")
        names = _columns_list(features)
        if names is None:
            names = [c for c in df.columns if c != target and c not in extras.values()
                     and c != event and c != groups and pd.api.types.is_numeric_dtype(df[c])]
            if not names:
                raise DataError(f"{file}: no numeric feature columns besides {target!r}")
        for c in names:
            if c not in df.columns:
                raise DataError(f"{file}: no column {c!r}{_column_hint(c, list(df.columns))}")
        if target in names:
            raise DataError(f"--features includes the target {target!r}")
        for flag, col in extras.items():
            if col == target or col in names:
                raise DataError(f"{flag} {col}: the column is also the target or a feature")
        if event is not None:
            if event not in df.columns:
                raise DataError(f"{file}: no column {event!r}"
                                f"{_column_hint(event, list(df.columns))}")
            if event == target or event in names:
                raise DataError(f"--event {event}: the column is also the target or a feature")
        if groups is not None:
            if groups not in df.columns:
                raise DataError(f"{file}: no column {groups!r}"
                                f"{_column_hint(groups, list(df.columns))}")
            if groups == target or groups in names:
                raise DataError(f"--groups {groups}: the column is also the target or a "
                                "feature")
        df = _drop_missing(df, [target, *names, *extras.values(), *([event] if event else []),
                                *([groups] if groups else [])],
                           str(file), dropna, quiet)
        fit_kw = _regress_rows(df, extras, str(file))
        if groups is not None:
            fit_kw["groups"] = df[groups]
        y = as_numeric_column(df[target], target, source=str(file))
        X = pd.DataFrame({c: as_numeric_column(df[c], c, source=str(file)) for c in names})
        model = Regression(family=fam.name, link=link, fit_intercept=not no_intercept,
                           alpha_l2=alpha_l2, alpha_l1=alpha_l1, cov_type=cov_type,
                           fixed=fixed_d or None, dispersion=dispersion, **robust)
        if event is not None:
            from .regression._estimator import _with_events

            model.fit(X, _with_events(y, df, event), **fit_kw)
        else:
            model.fit(X, y, **fit_kw)
    if report is not None:
        from .report import regress_report

        if event is not None:  # the report's panels: the censored residuals
            from .regression._estimator import _with_events

            y = _with_events(y, df, event)
        regress_report(model, X, y, report, source=f"{file} · target {target}",
                       inputs=[file])
    conf = None
    if ci != "wald":  # refits on the same rows: the raw frame for a formula, else X
        kw = {k: v for k, v in fit_kw.items() if k != "groups"}
        if ci == "bootstrap":
            kw.update(n_boot=bootstrap or 999, rng=0)
        conf = model.conf_int(df if formula is not None else X, y, level=level, method=ci,
                              **kw)
    if predict is not None:
        _write_predictions(model, predict, out_path, formula, names, level, [file, predict])
    summ = model.result_.summary(level)
    if json_:
        out = regress_json(model.result_, level)
        out.update({"file": str(file), "target": target, "features": names})
        if params:
            out["formulas"] = dict(model.formula_)
        if conf is not None:
            out["ci_method"] = ci
            for k, row in conf.iterrows():
                out["conf_int"][str(k)] = [float(row.iloc[0]), float(row.iloc[1])]
        if predict is not None:
            out["predictions"] = str(out_path)
        _print_json(out)
    elif not quiet:
        _print_table(rich_results_table(summ))
        if conf is not None:
            from rich.table import Table

            t = Table(title=f"{100 * level:g}% CI ({ci})", title_justify="left")
            for col in ("coefficient", "low", "high"):
                t.add_column(col, justify="left" if col == "coefficient" else "right")
            for k, row in conf.iterrows():
                t.add_row(str(k), f"{float(row.iloc[0]):.6g}", f"{float(row.iloc[1]):.6g}")
            _console().print(t)
    if report is not None:
        _say_written(report, quiet or json_)
    if predict is not None and not (quiet or json_):
        _console(stderr=True).print(f"predictions written to {out_path}", markup=False)


def _write_predictions(model: Any, new: Path, out: Path, formula: str | None,
                       names: list[str], level: float, inputs: list[Path]) -> None:
    """``--predict``: the new rows with ``prediction``, ``lower``, ``upper`` (a prediction
    interval for a new observation at ``level``, parameter uncertainty included), written
    atomically as CSV, never over an input."""
    import numpy as np
    import pandas as pd

    from .io import _column_hint, read_table
    from .report._html import check_output_path, write_html

    check_output_path(out, inputs)
    nd = read_table(new)
    if formula is None:
        for c in names:
            if c not in nd.columns:
                raise DataError(f"{new}: no column {c!r}{_column_hint(c, list(nd.columns))}")
        Xn: Any = nd[names]
    else:
        Xn = nd
    pi = model.predict_interval(Xn, level=level, rng=0)
    lo_hi = np.asarray(pi, float)
    res = nd.copy()
    res["prediction"] = np.asarray(model.predict(Xn), float)
    res["lower"], res["upper"] = lo_hi[:, 0], lo_hi[:, 1]
    write_html(out, pd.DataFrame(res).to_csv(index=False), inputs)


def _regress_dask(file, target, features, formula, family, link, fit_intercept, alpha_l2,
                  scheduler, json_, quiet, report) -> None:
    """`mlekit regress --dask`: the same fit, its row sums computed chunk by chunk by Dask."""
    if report is not None:
        raise DataError("--report is not available with --dask (the rows stay on the workers)")
    try:
        from .distributed import fit_regression_from_parquet
    except ImportError as exc:  # dask missing
        raise DataError(f"--dask needs the Dask extra: pip install 'mlekit[dask]' ({exc})"
                        ) from None
    model = fit_regression_from_parquet(
        str(file), target=target, features=_columns_list(features), formula=formula,
        family=family, link=link, fit_intercept=fit_intercept, alpha_l2=alpha_l2,
        scheduler=scheduler, progress=not (quiet or json_))
    summ = model.result_.summary()
    if json_:
        out = regress_json(model.result_)
        out.update({"file": str(file), "target": target, "dask": True})
        _print_json(out)
    elif not quiet:
        _print_table(rich_results_table(summ))


# ---------------------------------------------------------------------------- kl
def _parse_distribution(spec: str, custom: Any = None) -> Any:
    """``"normal(0, 1)"`` → a frozen Distribution (:func:`mlekit.parse_distribution`);
    with ``--density``, ``"custom(mu=0, b=1)"`` is a member of the typed family. Read with
    :mod:`ast` like parse_distribution: a name and number literals, never evaluated."""
    from .families import parse_distribution

    text = str(spec).strip()
    head = text.split("(", 1)[0].strip()
    if custom is None or head != custom.name:
        return parse_distribution(text)
    import ast

    from .families._registry import _literal

    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError):
        node = None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        example = ", ".join(f"{p.name}=1" for p in custom.parameters)
        raise ParameterError(f"cannot read distribution {text!r}: expected e.g. "
                             f"'{custom.name}({example})'")
    kwargs: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None or kw.arg in kwargs:
            raise ParameterError(f"cannot read {text!r}: give each parameter once, by name "
                                 "or position ('**' is not allowed)")
        kwargs[kw.arg] = _literal(kw.value, text)
    return custom(*[_literal(a, text) for a in node.args], **kwargs)


@app.command("compare-models")
def compare_models_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or Parquet file.")],
    formula: Annotated[list[str], typer.Option(
        "--formula", help="A model formula 'y ~ x1 + x2'; give two or more, all with the "
        "same response.")],
    family: Annotated[list[str] | None, typer.Option(
        "--family", "-F", help="The family of every model, or one per --formula, in order "
        "(default normal).")] = None,
    link: Annotated[list[str] | None, typer.Option(
        "--link", help="The link of every model, or one per --formula.")] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Compare regressions of one response: AIC/BIC/llf table, the likelihood-ratio test of
    each model nested in the next (lmtest::lrtest) and, for two non-nested models, Vuong's
    test (pscl::vuong).

    Examples:
      mlekit compare-models randhie.csv -F poisson
        --formula "mdvis ~ lncoins" --formula "mdvis ~ lncoins + idp"
      mlekit compare-models anes96.csv -F bernoulli --link logit --link probit
        --formula "vote ~ PID" --formula "vote ~ PID"
    """
    import numpy as np
    import pandas as pd

    from .errors import MlekitError
    from .io import _column_hint, read_table
    from .regression import Regression
    from .regression._compare import compare_models, lr_test, vuong_test

    k = len(formula)
    if k < 2:
        raise DataError("give two or more --formula to compare")

    def per_model(values: list[str] | None, what: str, default: str | None) -> list[Any]:
        vals = list(values or [])
        if not vals:
            return [default] * k
        if len(vals) == 1:
            return vals * k
        if len(vals) != k:
            raise DataError(f"give one {what} for every model or one per --formula ({k}); "
                            f"got {len(vals)}")
        return vals

    fams = per_model(family, "--family", "normal")
    links = per_model(link, "--link", None)
    df = read_table(file)
    from .grammar import parse_model_formula

    for f in formula:
        for c in parse_model_formula(f).columns():
            if c not in df.columns:
                raise DataError(f"{file}: no column {c!r}{_column_hint(c, list(df.columns))}")
    models = [Regression.from_formula(f, df, family=fa, link=lk)
              for f, fa, lk in zip(formula, fams, links, strict=True)]
    names = [f"{f} ({fa}{'' if lk is None else ', ' + lk})"
             for f, fa, lk in zip(formula, fams, links, strict=True)]
    table = compare_models(models, names=names)
    tests: list[dict[str, Any]] = []
    for i in range(k - 1):
        a, b = models[i], models[i + 1]
        entry: dict[str, Any] = {"models": [names[i], names[i + 1]]}
        try:
            small, big = (a, b) if len(a.result_.theta) < len(b.result_.theta) else (b, a)
            r = lr_test(small, big)
            entry.update({"test": "likelihood ratio", "statistic": r.statistic, "df": r.df,
                          "pvalue": r.pvalue})
        except MlekitError as exc:  # not nested: Vuong's test of non-nested models
            try:
                v = vuong_test(a, b, df)
            except MlekitError:
                entry.update({"test": "none", "why": _flag_words(str(exc))})
            else:
                entry.update({"test": "Vuong", "statistic": v.statistic, "pvalue": v.pvalue,
                              "statistic_aic": v.statistic_aic, "pvalue_aic": v.pvalue_aic,
                              "statistic_bic": v.statistic_bic, "pvalue_bic": v.pvalue_bic})
        tests.append(entry)
    if json_:
        out = _json_head("compare-models")
        out.update({"file": str(file), "models": names,
                    "table": pd.DataFrame(table).reset_index().to_dict(orient="records"),
                    "tests": tests})
        _print_json(out)
        return
    if quiet:
        return
    from rich.table import Table

    t = Table(title=f"Models of {file.name}, best AIC first", title_justify="left")
    tab = pd.DataFrame(table)
    t.add_column("model", justify="left")
    for c in tab.columns:
        t.add_column(str(c), justify="right")
    for idx, row in tab.iterrows():
        t.add_row(str(idx), *[f"{v:.6g}" if isinstance(v, (int, float, np.floating))
                              else str(v) for v in row.to_numpy()])
    _console().print(t)
    for e in tests:
        a, b = e["models"]
        if e["test"] == "likelihood ratio":
            line = (f"LR test ({a} inside {b}): statistic {e['statistic']:.6g} on {e['df']} df,"
                    f" p = {e['pvalue']:.4g}")
        elif e["test"] == "Vuong":
            line = (f"Vuong test ({a} vs {b}): z = {e['statistic']:.4g} (p = {e['pvalue']:.4g}; "
                    f"AIC-corrected z = {e['statistic_aic']:.4g}, BIC-corrected z = "
                    f"{e['statistic_bic']:.4g}); positive favours the first")
        else:
            line = f"no test between {a} and {b}: {e['why']}"
        _console().print(line, markup=False)


@app.command("kl")
def kl_cmd(
    p: Annotated[str, typer.Argument(help="First distribution (the expectation is under it), "
                                          "e.g. \"normal(mu=0, sigma=1)\".")],
    q: Annotated[str, typer.Argument(help="Second distribution, e.g. \"normal(1, 2)\".")],
    method: Annotated[str, typer.Option(
        "--method", "-m", help="auto | closed form | exact | quad | mc")] = "auto",
    samples: Annotated[int, typer.Option("--samples", help="Monte Carlo sample size.")
                       ] = 100_000,
    seed: Annotated[int | None, typer.Option("--seed", help="Monte Carlo seed.")] = None,
    density: DensityOpt = None,
    param: ParamOpt = None,
    support: SupportOpt = "real",
    check: CheckOpt = "raise",
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    report: ReportOpt = None,
) -> None:
    """KL divergence KL(P‖Q) = E_P\\[log P − log Q] (and the reverse, to show asymmetry).

    Examples:
      mlekit kl "normal(mu=0, sigma=1)" "normal(mu=1, sigma=2)"
      mlekit kl "normal(0, 1)" "normal(1, 2)" --method quad --json
      mlekit kl "bernoulli(p=0.2)" "bernoulli(p=0.5)"
      mlekit kl "custom(mu=0, b=1)" "normal(0, 1)" --density "exp(-abs(x - mu)/b) / (2*b)"
        --param mu=real,b=positive      (your density is the family named custom)
    """
    from .divergence import kl

    custom = None
    if density is not None:
        custom = _derive_family(None, density, param, support, check)
    elif param:
        raise ParameterError("--param is for --density (a registered family declares its "
                             "own parameters)")
    dp, dq = _parse_distribution(p, custom), _parse_distribution(q, custom)
    if samples < 2:
        raise ParameterError(f"--samples (the Monte Carlo sample size) must be >= 2, not "
                             f"{samples}; e.g. --samples 100000")
    if seed is not None and seed < 0:
        raise ParameterError(f"--seed must be a non-negative integer, not {seed}")
    _check_report_target(report)
    method = method.replace("_", " ").replace("-", " ").strip()
    kw: dict[str, Any] = {"method": method}
    if method in ("mc", "auto"):
        kw.update(n_samples=samples, seed=seed)
    fwd = kl(dp, dq, **kw)
    rev = kl(dq, dp, **kw)
    if report is not None:
        from .report import kl_report

        kl_report(dp, dq, fwd, rev, report)
    if json_:
        out = _json_head("kl")
        out.update({"p": repr(dp), "q": repr(dq), "kl": fwd.value, "method": fwd.method,
                    "error": fwd.error, "seed": getattr(fwd, "seed", None),
                    "notes": [_flag_words(str(n)) for n in fwd.notes],
                    "reverse_kl": rev.value, "reverse_method": rev.method,
                    "reverse_notes": [_flag_words(str(n)) for n in rev.notes]})
        _print_json(out)
    elif not quiet:
        from rich.table import Table

        t = Table(title="KL divergence (nats)", title_justify="left")
        for col, j in (("", "left"), ("value", "right"), ("method", "left"),
                       ("error estimate", "right")):
            t.add_column(col, justify=j)
        t.add_row(f"KL({dp!r} ‖ {dq!r})", _fmt(fwd.value), fwd.method, _fmt(fwd.error))
        t.add_row(f"KL({dq!r} ‖ {dp!r})", _fmt(rev.value), rev.method, _fmt(rev.error))
        t.caption = "KL ≥ 0, = 0 iff P = Q, and not symmetric"
        con = _console()
        con.print(t)
        for note in (*fwd.notes, *rev.notes):  # e.g. why a KL is infinite
            con.print(note, markup=False)
    if report is not None:
        _say_written(report, quiet or json_)


# ---------------------------------------------------------------------------- demo
@app.command("demo")
def demo_cmd(
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="OUT.html",
        help="Write the demo as one self-contained HTML report.")] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """The six ideas of mlekit on shipped real data, end to end.

    1 MLE as a sum of logs (the raw product underflows) · 2 conditional likelihood
    (logistic regression) · 3 KL divergence · 4 MLE = minimum KL · 5 MSE from the
    Gaussian · 6 BCE from the Bernoulli.

    Examples:
      mlekit demo
      mlekit demo --out demo.html
    """
    from . import datasets
    from .report import demo as demo_mod

    _check_report_target(out, [datasets.path(name) for name in datasets.list()])
    show = not (quiet or json_)
    results = demo_mod.run_demo(progress=show and sys.stderr.isatty())
    if show:
        demo_mod.print_demo(results, _console())
    if out is not None:
        from .report import demo_report

        demo_report(results, out)
    if json_:
        _print_json(demo_mod.demo_json(results))
    if out is not None:
        _say_written(out, quiet or json_)


# ---------------------------------------------------------------------------- entry point
def _one_line(msg: str) -> str:
    return " ".join(str(msg).split())


def _showwarning(message, category, filename, lineno, file=None, line=None) -> None:
    text = _one_line(_flag_words(str(message)))
    if issubclass(category, RuntimeWarning):
        # a raw NumPy/SciPy floating-point warning that no mlekit code turned into a named
        # one: say what it is and where, rather than NumPy's bare "overflow encountered…"
        where = str(filename).replace("\\", "/").rsplit("/src/", 1)[-1]
        text = (f"numerical problem ({text}, in {where}:{lineno}); the result may be "
                "inaccurate (please report this)")
    sys.stderr.write(f"mlekit: warning: {text}\n")


class _Interrupt:
    """Remembers that SIGINT arrived: typer turns KeyboardInterrupt into a silent
    ``Exit(130)``, click into ``Abort``, and worker threads may wrap it in other errors,
    so the exit path asks this flag rather than the exception that reached it."""

    seen = False

    @classmethod
    def handler(cls, signum: int, frame: Any) -> None:
        cls.seen = True
        raise KeyboardInterrupt


def _click_abort() -> type[BaseException]:
    """click's own Abort (raised for Ctrl-C when standalone_mode=False); not typer.Abort."""
    import click

    return click.exceptions.Abort


def _interrupted() -> int:
    sys.stderr.write("mlekit: interrupted\n")
    return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input, 1 internal error,
    130 interrupted by Ctrl-C, with ``mlekit: interrupted`` on stderr)."""
    import signal
    import threading

    _Interrupt.seen = False
    old_handler = None
    if threading.current_thread() is threading.main_thread():
        old_handler = signal.signal(signal.SIGINT, _Interrupt.handler)
    try:
        return _main(argv)
    except KeyboardInterrupt:  # between the handler and _main's own try
        return _interrupted()
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)


def _help_without_parsing(command: Any, args: list[str]) -> bool:
    """``mlekit CMD … -h|--help``: print CMD's help as click would, and say so.

    Parsing the arguments first (click's way) makes typer coerce the values through
    pydantic, whose import alone is about a quarter of the time ``mlekit fit --help`` takes;
    the help needs no value. Only a known command followed by ``-h``/``--help`` (before any
    ``--``) takes this path; everything else is parsed as usual. A test holds the output
    equal to click's own.
    """
    if not args or args[0] not in getattr(command, "commands", {}):
        return False
    rest = args[1:args.index("--")] if "--" in args else args[1:]
    if not any(a in ("-h", "--help") for a in rest):
        return False
    sub = command.commands[args[0]]
    ctx = command.context_class(command, info_name="mlekit", **command.context_settings)
    sub_ctx = sub.context_class(sub, info_name=args[0], parent=ctx, **sub.context_settings)
    sys.stdout.write(sub.get_help(sub_ctx) + "\n")  # click's show_help echoes a newline
    return True


def _main(argv: Sequence[str] | None) -> int:
    from typer.main import get_command

    old_show = warnings.showwarning
    warnings.showwarning = _showwarning
    try:
        command = get_command(app)
        args = list(sys.argv[1:] if argv is None else argv)
        if _help_without_parsing(command, args):
            return 0
        rv = command.main(args=args, prog_name="mlekit", standalone_mode=False)
        if _Interrupt.seen or rv == 130:  # typer turns Ctrl-C into a silent Exit(130)
            return _interrupted()
    except MlekitError as exc:
        if _Interrupt.seen:
            return _interrupted()
        sys.stderr.write(f"mlekit: error: {_one_line(_flag_words(str(exc)))}\n")
        return 2
    except typer.TyperException as exc:  # click usage errors (bad option, missing argument)
        code = getattr(exc, "exit_code", 2)
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `mlekit`: the help was printed
            return 0
        sys.stderr.write(f"mlekit: error: {_one_line(exc.format_message())}\n")
        return 2 if code == 2 else (code or 1)
    except (typer.Abort, _click_abort()):  # Ctrl-C (click) or end of input at a prompt
        if _Interrupt.seen:
            return _interrupted()
        sys.stderr.write("mlekit: aborted\n")
        return 130
    except KeyboardInterrupt:
        return _interrupted()
    except BrokenPipeError:  # `mlekit families | head`
        return 0
    except Exception as exc:
        if _Interrupt.seen:  # e.g. a KeyboardInterrupt wrapped by a worker thread
            return _interrupted()
        sys.stderr.write(f"mlekit: internal error: {type(exc).__name__}: "
                         f"{_one_line(str(exc))[:500]} (please report this)\n")
        return 1
    finally:
        warnings.showwarning = old_show
    return rv if isinstance(rv, int) else 0
