"""Bounded fuzzing (issue 11): nothing crashes, and no user text reaches ``eval``.

Four surfaces take text from users: the command line, data files, distribution specs
such as ``"normal(mu=0, sigma=1)"`` and density formulas. Hypothesis feeds each of them
random and adversarial input; the only exceptions allowed out are
:class:`mlekit.errors.MlekitError` subclasses (the CLI: exit status 0 or 2, never the
"internal error" status 1, and one stderr line on error). Throughout, ``builtins.eval``,
``builtins.exec``, ``sympy.sympify`` and ``sympy.parse_expr`` are watched: a call that
sees the user's text (or any call of ``parse_expr``, or ``sympify`` of a string) fails
the test. Examples are bounded so the whole file runs in a few seconds.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import string
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlekit as mk
from mlekit.cli import main
from mlekit.errors import MlekitError
from mlekit.families import FAMILIES
from mlekit.grammar import parse_density as parse_formula

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])


#: planted in the fuzzed text; code handed to eval/exec that contains it came from the user
CANARY = "zzcanary"


class EvalWatch:
    """Spies on eval/exec/sympify/parse_expr; records calls that see user text.

    Libraries legitimately eval their own code (typer evaluates annotations, sympy's
    lambdify execs generated source), so eval/exec are only refused when the code holds
    the canary or the whole fuzzed text.
    """

    def __init__(self) -> None:
        self.user_text: list[str] = []
        self.hits: list[str] = []

    def seen(self, code) -> bool:
        if not isinstance(code, str):
            return False
        return CANARY in code or any(len(t) >= 8 and t in code for t in self.user_text)


@pytest.fixture
def watch(monkeypatch) -> EvalWatch:
    w = EvalWatch()
    real_eval, real_exec = builtins.eval, builtins.exec

    def spy_eval(code, *a, **k):
        if w.seen(code):
            w.hits.append(f"eval({code!r})")
            raise AssertionError("user text reached eval")
        return real_eval(code, *a, **k)

    def spy_exec(code, *a, **k):
        if w.seen(code):
            w.hits.append(f"exec({code!r})")
            raise AssertionError("user text reached exec")
        return real_exec(code, *a, **k)

    real_sympify = sympy.sympify

    def spy_sympify(a, *args, **kw):
        if isinstance(a, str):
            w.hits.append(f"sympify({a!r})")
            raise AssertionError("a string reached sympy.sympify")
        return real_sympify(a, *args, **kw)

    def no_parse_expr(*a, **k):
        w.hits.append(f"parse_expr{a!r}")
        raise AssertionError("parse_expr was called")

    import sympy.parsing.sympy_parser as sp_parser

    monkeypatch.setattr(builtins, "eval", spy_eval)
    monkeypatch.setattr(builtins, "exec", spy_exec)
    monkeypatch.setattr(sympy, "sympify", spy_sympify)
    monkeypatch.setattr(sympy, "parse_expr", no_parse_expr, raising=False)
    monkeypatch.setattr(sp_parser, "parse_expr", no_parse_expr)
    yield w
    assert not w.hits, w.hits


# ----------------------------------------------------------------- family specs
NAMES = sorted(FAMILIES) + ["gaussian", "nromal", "t", "__import__", "eval", "os", "",
                           CANARY]
NUM = st.one_of(st.integers(-10, 10).map(str), st.floats(allow_nan=True).map(repr),
                st.sampled_from(["inf", "-inf", "nan", "1e309", "-0", "[0.2, 0.8]", "[]",
                                 "[[1, 0], [0, 1]]", "[0.5, 0.5, 0.5]", "True", "'a'",
                                 "x", "(1, 2)", "{1: 2}", "1j", "__import__('os')",
                                 "lambda: 0", "1 + 1", "*[1]", "**{}", CANARY,
                                 f"__import__('{CANARY}')"]))
PNAMES = st.sampled_from(["mu", "sigma", "p", "rate", "shape", "nu", "n", "alpha", "k",
                          "logits", "cov", "mean", "__class__", "x"])
ARG = st.one_of(NUM, st.tuples(PNAMES, NUM).map(lambda t: f"{t[0]}={t[1]}"))
SPEC = st.one_of(
    st.tuples(st.sampled_from(NAMES), st.lists(ARG, max_size=4)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})"),
    st.text(alphabet=string.printable, max_size=60),
    st.text(max_size=30),
)


@FUZZ
@given(spec=SPEC)
def test_fuzz_parse_distribution(spec: str, watch: EvalWatch) -> None:
    watch.user_text = [spec.strip()] + [p for p in spec.replace(",", " ").split() if
                                         len(p) >= 4]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            d = mk.parse_distribution(spec)
        except MlekitError as exc:
            assert str(exc)
            return
    assert isinstance(d, mk.Distribution)


# ----------------------------------------------------------------- density formulas
ATOMS = st.sampled_from(["x", "mu", "b", "pi", "E", "2", "0.5", "1e308", "1000", "-1", CANARY,
                         f"__import__('{CANARY}')", f"'{CANARY}'",
                         "__import__", "os", "open", "y", "'s'", "x.real", "x[0]",
                         "(lambda: 1)", "sympify", "eval", "1e-400", "10**1000"])
FUNCS = st.sampled_from(["exp", "log", "sqrt", "abs", "gamma", "lgamma", "erf", "sin",
                         "getattr", "eval", "__import__", "exec", "factorial"])
OPS = st.sampled_from(["+", "-", "*", "/", "**", "//", "%", "@", "<", "==", " and ", " if "])


def _expr(depth: int = 0) -> st.SearchStrategy[str]:
    if depth >= 3:
        return ATOMS
    sub = st.deferred(lambda: _expr(depth + 1))
    return st.one_of(
        ATOMS,
        st.tuples(sub, OPS, sub).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(FUNCS, st.lists(sub, min_size=0, max_size=2)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        sub.map(lambda s: f"-{s}"),
    )


FORMULA = st.one_of(_expr(), st.text(alphabet=string.printable, max_size=60))


@FUZZ
@given(text=FORMULA)
def test_fuzz_formula_parser(text: str, watch: EvalWatch) -> None:
    x, mu, b = sympy.symbols("x mu b")
    watch.user_text = [text.strip()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            expr = parse_formula(text, {"x": x, "mu": mu, "b": b})
        except MlekitError as exc:
            assert str(exc)
            return
    assert isinstance(expr, sympy.Basic)
    assert expr.free_symbols <= {x, mu, b}


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=_expr())
def test_fuzz_custom_family(text: str, watch: EvalWatch) -> None:
    """The whole custom_family path (parse, normalisation check) only raises MlekitError."""
    watch.user_text = [text.strip()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the normalisation check may warn by design
        try:
            fam = mk.custom_family(text, ["mu=real", "b=positive"], check="warn")
        except MlekitError as exc:
            assert str(exc)
            return
    assert fam.param_names == ("mu", "b")


# ----------------------------------------------------------------- model formulas
TERMS = st.sampled_from(["x1", "x2", "g", "C(g)", "C(g, ref='b')", "I(x1 ** 2)", "log(x2)",
                         "poly(x1, 2)", "1", "0", "-1", "`x 3`", "np.log(x1)", CANARY,
                         f"__import__('{CANARY}')", f"I(__import__('{CANARY}'))",
                         f"{{__import__('{CANARY}')}}", "x1.__class__", "x1[0]",
                         "(lambda: 1)", "eval('1')", "open('f')", "C(g, ref=__import__)",
                         "poly(x1, x2)", "'s'", "x1 if x2 else g", "f'{x1}'", "(y := 1)"])
TOPS = st.sampled_from([" + ", " - ", ":", " * ", " / ", " ** 2", " | ", "", " ~ "])
MODEL = st.one_of(
    st.tuples(st.lists(st.tuples(TERMS, TOPS), min_size=1, max_size=4)).map(
        lambda t: "y ~ " + "".join(a + b for a, b in t[0]).rstrip(" +-*/:|~")),
    st.text(alphabet=string.printable, max_size=60).map(lambda s: "y ~ " + s),
    st.text(max_size=40),
)


@pytest.fixture(scope="module")
def regression_imported() -> None:
    """Fit one formula before the eval/exec spy starts: lazy imports (scipy.stats builds
    docstrings with exec in its own namespace) must happen outside the spy."""
    import pandas as pd

    df = pd.DataFrame({"y": [1.0, 0.0, 2.0, 3.0, 1.0, 4.0], "x1": [0.1, 0.4, 0.2, 0.9, 0.3, 1.0]})
    mk.Regression.from_formula("y ~ x1", df, family="poisson").result_.summary()


@FUZZ
@given(text=MODEL)
def test_fuzz_model_formula(text: str, regression_imported: None, watch: EvalWatch) -> None:
    """Model formulas: the whole from_formula path only raises MlekitError, and no text
    reaches an evaluator (EvalWatch traps eval/exec/sympify/parse_expr)."""
    import pandas as pd

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"y": rng.poisson(2.0, 40).astype(float), "x1": rng.normal(size=40),
                       "x2": rng.uniform(1, 2, 40), "g": list("abcd") * 10,
                       "x 3": rng.normal(size=40)})
    watch.user_text = [text.strip()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.errors.ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        try:
            mk.Regression.from_formula(text, df, family="poisson")
        except MlekitError as exc:
            assert str(exc)
            return


@FUZZ
@given(text=st.one_of(
    st.tuples(st.lists(st.sampled_from(["x1", "x2", "2", "*", "+", "-", "/", "=", ",",
                                        "(", ")", "`x1`", CANARY, "__import__('os')",
                                        "x1.real", "x1 * x2", "1e400"]),
                       max_size=8)).map(lambda t: " ".join(t[0])),
    st.text(alphabet=string.printable, max_size=40)))
def test_fuzz_restriction(text: str, watch: EvalWatch) -> None:
    """Linear-restriction strings (wald_test) only raise MlekitError; R is finite."""
    from mlekit.grammar import parse_restriction

    watch.user_text = [text.strip()]
    try:
        R, q = parse_restriction(text, ["Intercept", "x1", "x2"])
    except MlekitError as exc:
        assert str(exc)
        return
    assert np.all(np.isfinite(R)) and np.all(np.isfinite(q))


# ----------------------------------------------------------------- data files
@FUZZ
@given(data=st.one_of(st.binary(max_size=400),
                      st.text(alphabet="x,y;\"'\n\r\t 0123456789.-einaf", max_size=200)
                      .map(lambda s: s.encode())),
       suffix=st.sampled_from([".csv", ".tsv", ".parquet", ".csv.gz"]))
def test_fuzz_read_table(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"f{suffix}"
        p.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                df = mk.read_table(p)
            except MlekitError as exc:
                assert str(p) in str(exc), str(exc)
                return
            assert len(df) > 0 and len(df.columns) > 0
            for c in df.columns:  # every column converts or raises a DataError
                try:
                    mk.io.as_numeric_column(df[c], c, source=str(p))
                except MlekitError as exc:
                    assert repr(c) in str(exc)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(data=st.binary(min_size=1, max_size=200), cut=st.integers(0, 400))
def test_fuzz_parquet_corrupted(data: bytes, cut: int) -> None:
    """A real Parquet file, truncated and/or with random bytes spliced in."""
    import pandas as pd

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.parquet"
        pd.DataFrame({"x": np.arange(20.0), "y": list("ab" * 10)}).to_parquet(p)
        raw = p.read_bytes()
        cut = min(cut, len(raw))
        p.write_bytes(raw[:cut] + data + raw[cut + len(data):])
        try:
            mk.read_table(p)
        except MlekitError as exc:
            assert "f.parquet" in str(exc)


# ----------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def cli_data() -> Path:
    d = Path(tempfile.mkdtemp())
    p = d / "d.csv"
    rng = np.random.default_rng(0)
    p.write_text("x,y,c\n" + "\n".join(f"{v:.4f},{int(v > 0)},{i % 3}" for i, v in
                                        enumerate(rng.normal(size=30))) + "\n")
    return p


KL_TOKENS = st.sampled_from([
    "normal(0, 1)", "normal(mu=1, sigma=2)", "bernoulli(p=0.3)", "poisson(rate=2)",
    "categorical(p=[0.2, 0.8])", "gamma(shape=2, rate=1)", "normal(0, -1)", "nromal(0,1)",
    "normal(", "__import__('os').system('true')", "--method", "closed form", "exact", "mc",
    "quad", "nope", "--samples", "10", "-5", "0", "--seed", "1", "x", "--json", "--quiet",
    f"normal(mu={CANARY})", f"{CANARY}(0, 1)", f"__import__('{CANARY}')",
    "-q", "--help", "", "''", "1e309", "--bogus", "studentt(nu=1e300, mu=0, sigma=1)"])
FIT_TOKENS = st.sampled_from([
    "--column", "-c", "x", "y", "c", "X", "--family", "-F", "normal", "bernoulli", "poisson",
    "gamma", "categorical", "nromal", "--fixed", "sigma=1", "sigma=-1", "mu", "p=2",
    "--censored-column", "--json", "--quiet", "--bootstrap", "3", "-1", "missing.csv",
    "DATA", "DATA", "", "--bogus", "__import__('os')", "1e309", CANARY, f"{CANARY}=1",
    f"__import__('{CANARY}')"])


def _run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings():
        warnings.simplefilter("default")
        code = main(argv)
    return code, err.getvalue()


def _check_cli(code: int, err: str) -> None:
    assert code in (0, 2), f"exit {code}: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        errors = [ln for ln in err.splitlines() if ln.startswith("mlekit: error: ")]
        assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0], err


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tokens=st.lists(KL_TOKENS, max_size=6))
def test_fuzz_cli_kl(tokens: list[str], watch: EvalWatch) -> None:
    if "mc" in tokens or "--samples" not in tokens:
        tokens = tokens + ["--samples", "200"]  # keep Monte Carlo runs small
    watch.user_text = [CANARY]  # option names legitimately appear in typer's own eval
    code, err = _run_cli(["kl", *tokens])
    _check_cli(code, err)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tokens=st.lists(FIT_TOKENS, max_size=7))
def test_fuzz_cli_fit(tokens: list[str], cli_data: Path, watch: EvalWatch) -> None:
    argv = ["fit", *[str(cli_data) if t == "DATA" else t for t in tokens]]
    if "--bootstrap" in argv:  # --family auto is not in the vocabulary: stays quick
        argv = [t for t in argv if t != "--bootstrap"]
    watch.user_text = [CANARY]
    code, err = _run_cli(argv)
    _check_cli(code, err)
