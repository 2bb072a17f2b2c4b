"""The model-formula grammar: hostile text is refused by name and never runs (issue #22).

Every hostile formula below tries to create a marker file; each must raise a
FormulaError naming the offending token and its column, through the API
(``Regression.from_formula``), the CLI (exit 2, one line on stderr) and the Dask
path, and the marker file must not exist afterwards.
"""

from __future__ import annotations

import ast
import re
import sys

import numpy as np
import pandas as pd
import pytest

import mlekit as mk
from mlekit.cli import main
from mlekit.errors import FormulaError
from mlekit.grammar import parse_model_formula

HOSTILE = [
    "y ~ x + I(__import__('os').system('touch {m}'))",
    "y ~ x + {{__import__('os').system('touch {m}')}}",
    "y ~ x + C(__import__('os').system('touch {m}'))",
    "y ~ x + np.log(__import__('os').system('touch {m}') + 1)",
    "y ~ x + open('{m}', 'w')",
    "y ~ x + I(open('{m}', 'w'))",
    "y ~ x + exec(\"open('{m}','w')\")",
    "y ~ x + eval(\"open('{m}','w')\")",
    "y ~ x + __import__('os').system('touch {m}')",
    "y ~ x + I(().__class__.__bases__[0].__subclasses__())",
    "y ~ x + getattr(__import__('os'), 'system')('touch {m}')",
    "y ~ x + (lambda: open('{m}','w'))()",
    "y ~ x + I([open('{m}','w') for _ in [1]])",
    "y ~ x + I((f := open('{m}','w')))",
    "y ~ x + I(f\"{{open('{m}','w')}}\")",
    "y ~ x + x[open('{m}','w')]",
    "y ~ x + C(x, __import__('os').system('touch {m}'))",
    "y ~ x + poly(x, __import__('os').system('touch {m}'))",
    "y ~ x + bs(x, df=x.__class__)",
    "y ~ x + log(x, *open('{m}','w'))",
    "y ~ x + log(**{{'a': open('{m}','w')}})",
    "y ~ x + C(x, ref=open('{m}','w'))",
    "y ~ x + C(x, Treatment(open('{m}','w')))",
    "y ~ x + C(x, levels=open('{m}','w'))",
    "y ~ x + scale(x, ddof=open('{m}','w'))",
    "y ~ x + center(open('{m}','w'))",
    "y ~ x + I(x if open('{m}','w') else x)",
    "y ~ x + I(x and open('{m}','w'))",
    "y ~ x + I(x < open('{m}','w'))",
    "y ~ x + I(x @ open('{m}','w'))",
    "y ~ x + I(x % open('{m}','w'))",
    "y ~ x + I(x.real)",
    "y ~ x + x.__class__.__init__.__globals__['os'].system('touch {m}')",
    "y ~ x + globals()['__builtins__']",
    "y ~ x + vars()",
    "y ~ x + breakpoint()",
    "y ~ x + compile('open(\"{m}\",\"w\")', 'f', 'exec')",
    "y ~ x + I(__builtins__)",
    "y ~ x + __builtins__.open('{m}','w')",
    "y ~ x + import os",
    "y ~ x + \uff4f\uff50\uff45\uff4e('{m}','w')",             # fullwidth 'open' (NFKC)
    "y ~ x + \u212fxec('open(\"{m}\",\"w\")')",                # script-e 'exec'
    "y ~ x + I(\u200bopen('{m}','w'))",                         # zero-width space
    "y ~ x + np.exp(open('{m}','w'))",
    "y ~ x + numpy.log(x)",
    "y ~ x + pd.eval(\"open('{m}','w')\")",
    "y ~ x + I(x); open('{m}','w')",
    "y ~ x + I(x)\nopen('{m}','w')",
    "y ~ x | open('{m}','w')",
    "open('{m}','w') ~ x",
    "y ~ x + log(open('{m}','w'))",
    "y ~ x + sqrt(x).__class__",
    "y ~ x + I(x ** open('{m}','w'))",
    "y ~ x + C(open('{m}','w'))",
    "y ~ x + I(-open('{m}','w'))",
    "y ~ x + Q('{m}')",
    "y ~ x + I(yield)",
    "y ~ x + I(await x)",
    "y ~ x + I(x := 1)",
    "y ~ x + abs(x, key=open('{m}','w'))",
    "y ~ x + I(b'\\x00')",
    "y ~ x + C(x, ref=__import__('os'))",
    "y ~ x + C(x, Treatment(reference=__import__('os').system('touch {m}')))",
    "y ~ x + poly(x, degree=__import__('os').system('touch {m}'))",
    "y ~ x + x.__class__.__mro__",
    "y ~ x + type(x)",
    "y ~ x + setattr(x, 'a', 1)",
    "y ~ x + I(*[open('{m}','w')])",
    "y ~ x + log(x)(open('{m}','w'))",
    "y ~ x + I(x)[0]",
    "y ~ x + C(x)[open('{m}','w')]",
    "y ~ x + exp(x + open('{m}','w'))",
    "y ~ x + dict(a=open('{m}','w'))",
    "y ~ x + I('{m}')",
    "y ~ x + x ** open('{m}','w')",
    "y ~ x + `x` + __import__('os').system('touch {m}')",
    "y ~ x + I(`x` + __import__('os').system('touch {m}'))",
    "y ~ x + os.system('touch {m}')",
    "y ~ x + subprocess.run(['touch', '{m}'])",
    "y ~ x + I(__import__)",
]


def _check_names_token(msg: str, formula: str) -> None:
    """The message ends with ``: <token repr> at column N`` and the token is there."""
    m = re.search(r" at column (\d+)$", msg)
    assert m, f"no column in {msg!r}"
    head, col = msg[:m.start()], int(m.group(1))
    token = None
    for i in sorted((k for k in range(len(head)) if head.startswith(": ", k)), reverse=True):
        try:
            val = ast.literal_eval(head[i + 2:])
        except (ValueError, SyntaxError):
            continue
        if isinstance(val, str):
            token = val
            break
    assert token, f"no token named in {msg!r}"
    rest = formula[col - 1:]
    assert rest.startswith(token) or rest.startswith(f"`{token}"), (token, col, formula)


@pytest.fixture()
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=30)
    return pd.DataFrame({"x": x, "y": 1 + x + rng.normal(size=30)})


def _hostile(tmp_path, template: str) -> tuple[str, object]:
    marker = tmp_path / "pwned"
    return template.format(m=marker), marker


def test_at_least_sixty_hostile_cases():
    assert len(HOSTILE) >= 60
    assert len(set(HOSTILE)) == len(HOSTILE)


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_formula_api(template, tmp_path, frame):
    formula, marker = _hostile(tmp_path, template)
    with pytest.raises(FormulaError) as info:
        mk.Regression.from_formula(formula, frame)
    _check_names_token(str(info.value), formula)
    assert not marker.exists()


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_formula_cli(template, tmp_path, frame, capsys):
    formula, marker = _hostile(tmp_path, template)
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    code = main(["regress", str(path), "--formula", formula])
    _, err = capsys.readouterr()
    assert code == 2, err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "formula" in lines[0]
    assert not marker.exists()


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_formula_dask(template, tmp_path, frame):
    pytest.importorskip("dask.dataframe")
    from mlekit.distributed import fit_regression_from_parquet

    formula, marker = _hostile(tmp_path, template)
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    with pytest.raises(FormulaError) as info:
        fit_regression_from_parquet(str(path), formula=formula, progress=False)
    _check_names_token(str(info.value), formula)
    assert not marker.exists()


def test_hostile_formulas_really_ran_before(tmp_path, frame):
    """The control: handing the text to formulaic (the old path) does create the marker."""
    formulaic = pytest.importorskip("formulaic")
    formula, marker = _hostile(tmp_path, HOSTILE[0])
    try:
        formulaic.model_matrix(formula, frame)
    except Exception:  # only the side effect matters here
        pass
    assert marker.exists()


# ---------------------------------------------------------------------------- limits
def test_too_long_and_too_deep():
    with pytest.raises(FormulaError, match="too long"):
        parse_model_formula("y ~ " + " + ".join(f"x{i}" for i in range(600)))
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse_model_formula("y ~ " + "(" * 150 + "x" + ")" * 150)
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse_model_formula("y ~ I(" + "-" * 300 + "x)")
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse_model_formula("y ~ " + "log(" * 120 + "x" + ")" * 120)
    # right at the limits it still parses
    assert parse_model_formula("y ~ " + "(" * 40 + "x" + ")" * 40).term_names() == \
        ["Intercept", "x"]


@pytest.mark.parametrize("text, needle", [
    ("y ~ x | z", "multi-part formulas are not supported"),
    ("y ~ x + 2", "can only be 0 or 1"),
    ("y ~ x ~ z", "exactly one '~'"),
    ("y + z ~ x", "one response"),
    ("x", "needs '~'"),
    ("", "empty"),
    ("y ~ ", "ends too early"),
    ("y ~ poly(x, 50)", "between 1 and 20"),
    ("y ~ (a + b) ** 0", "between 1 and 10"),
    ("y ~ (a + b) ** 2.5", "positive integer"),
    ("y ~ x:1", "0 or 1 cannot be combined"),
    ("y ~ log", "is a function"),
    ("y ~ x + `unterminated", "unterminated backtick"),
    ("y ~ I('a\\x41')", "escape sequences"),
    ("y ~ I(x ** 5000)", "exponent is too large"),
    ("y ~ größe", "non-ASCII"),
    ("C(g) ~ x", "must be a column or arithmetic"),
])
def test_refusals_are_named(text, needle):
    with pytest.raises(FormulaError, match=re.escape(needle)):
        parse_model_formula(text)


def test_non_string():
    with pytest.raises(FormulaError, match="must be a string"):
        parse_model_formula(b"y ~ x")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- structure
@pytest.mark.parametrize("text, terms, icpt", [
    ("y ~ a*b", ["a", "b", "a:b"], True),
    ("y ~ a:b + a", ["a", "a:b"], True),
    ("y ~ (a + b + c) ** 2", ["a", "b", "c", "a:b", "a:c", "b:c"], True),
    ("y ~ a/b", ["a", "a:b"], True),
    ("y ~ (a + b)/c", ["a", "b", "a:b:c"], True),
    ("y ~ a*b - a:b", ["a", "b"], True),
    ("y ~ x - 1", ["x"], False),
    ("y ~ 0 + x", ["x"], False),
    ("y ~ -1 + x", ["x"], False),
    ("y ~ x + 0 + 1", ["x"], True),
    ("y ~ x:x", ["x"], True),
    ("y ~ x + x", ["x"], True),
    ("y ~ `my col` + C(g, ref='b') + C(h, Treatment(reference=2))",
     ["`my col`", "C(g, ref='b')", "C(h, ref=2)"], True),
    ("y ~ C(g, Treatment('a'))", ["C(g, ref='a')"], True),
    ("y ~ I(x**2) + I(-x ** 2) + I((x + 1) / 2) + log(x) + exp(-x)",
     ["I(x ** 2)", "I(-x ** 2)", "I((x + 1) / 2)", "log(x)", "exp(-x)"], True),
    ("y ~ poly(x, degree=3) + center(z) + scale(w)",
     ["poly(x, 3)", "center(z)", "scale(w)"], True),
])
def test_term_structure(text, terms, icpt):
    f = parse_model_formula(text)
    assert f.term_names() == ["Intercept"] * icpt + terms
    assert f.intercept is icpt
    assert f.response is not None and f.response.display == "y"


def test_structure_is_immutable_and_holds_no_code():
    f = parse_model_formula("log(y) ~ x1 * C(g) + I(x2 ** 2)")
    with pytest.raises(AttributeError):
        f.intercept = False  # type: ignore[misc]
    assert f.columns() == ("y", "x1", "g", "x2")
    assert f.rhs_columns() == ("x1", "g", "x2")
    assert f.response.display == "log(y)"
    kinds = {fac.display: fac.kind for t in f.terms for fac in t}
    assert kinds == {"x1": "column", "C(g)": "categorical", "I(x2 ** 2)": "value"}


def test_grammar_imports_no_formulaic_or_pandas():
    import subprocess

    code = ("import sys; import mlekit.grammar._model as m; "
            "m.parse_model_formula('y ~ a*b'); "
            "print(any(k in sys.modules for k in ('formulaic', 'patsy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
