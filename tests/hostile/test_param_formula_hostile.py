"""Hostile ``--param-formula`` / per-parameter formula text never runs code.

Each payload tries to create a marker file from inside a parameter's formula (its right
side, a smuggled response, the parameter name itself); the CLI must end with exit status
2 and one ``mlekit: error:`` line, the API with a named MlekitError, and the marker must
not exist. A spy on ``builtins.eval``/``exec`` also shows that no string containing a
piece of the user's formulas is ever evaluated during legitimate fits and predictions.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _cases import PAYLOADS, spy_eval_exec

import mlekit as mk
from mlekit.cli import main
from mlekit.errors import MlekitError

_PAYLOADS = PAYLOADS
_CONTEXTS = {
    "I": "~ x + I({e})", "braces": "~ x + {{{e}}}", "C": "~ C({e})", "np": "~ np.log({e})",
    "lhs": "{e} ~ x", "interaction": "~ x:{e}", "log": "~ log({e})", "bare": "{e}",
    "lambda": "~ (lambda: {e})()",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("hostile-param-formula")
    rng = np.random.default_rng(5)
    x = rng.normal(size=40)
    df = pd.DataFrame({"x": x, "g": rng.choice(["a", "b"], 40),
                       "y": 1 + x + np.exp(0.3 * x) * rng.normal(size=40)})
    df.to_csv(tmp / "good.csv", index=False)
    return {"dir": tmp, "good": tmp / "good.csv"}


_CASES = [(f"{cn}-{pn}", c, p) for pn, p in _PAYLOADS.items() for cn, c in _CONTEXTS.items()]


@pytest.mark.parametrize(("cid", "context", "payload"),
                         [pytest.param(*c, id=c[0]) for c in _CASES])
def test_cli_param_formula_payloads(files, capsys, monkeypatch, cid, context, payload):
    monkeypatch.chdir(files["dir"])
    marker = files["dir"] / f"cli-{cid}.marker"
    text = context.format(e=payload.format(m=marker))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        code = main(["regress", str(files["good"]), "--formula", "y ~ x",
                     "--param-formula", f"sigma={text}"])
    _, err = capsys.readouterr()
    assert not marker.exists(), "INJECTION EXECUTED"
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("mlekit: error: "), err
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("pn", list(_PAYLOADS))
def test_cli_payload_as_parameter_name(files, capsys, monkeypatch, pn):
    monkeypatch.chdir(files["dir"])
    marker = files["dir"] / f"name-{pn}.marker"
    code = main(["regress", str(files["good"]), "--formula", "y ~ x",
                 "--param-formula", f"{_PAYLOADS[pn].format(m=marker)}=~ x"])
    _, err = capsys.readouterr()
    assert not marker.exists(), "INJECTION EXECUTED"
    assert code == 2 and err.startswith("mlekit: error: ") and err.count("\n") == 1, err


@pytest.mark.parametrize(("cid", "context", "payload"),
                         [pytest.param(*c, id=c[0]) for c in _CASES])
def test_api_param_formula_payloads(files, cid, context, payload):
    df = pd.read_csv(files["good"])
    marker = files["dir"] / f"api-{cid}.marker"
    text = context.format(e=payload.format(m=marker))
    with pytest.raises(MlekitError):
        mk.Regression.from_formula({"mu": "y ~ x", "sigma": text}, df)
    assert not marker.exists(), "INJECTION EXECUTED"


def test_eval_and_exec_never_see_param_formulas(files, capsys, monkeypatch):
    seen = spy_eval_exec(monkeypatch)
    df = pd.read_csv(files["good"])
    sigma = "~ center(x) + C(g, ref='b') + I(x ** 2)"
    m = mk.Regression.from_formula({"mu": "y ~ log(x + 10)", "sigma": sigma}, df)
    m.predict_distribution(df.head(3))
    m.score(df.head(5), df["y"].head(5))
    assert main(["regress", str(files["good"]), "--formula", "y ~ log(x + 10)",
                 "--param-formula", f"sigma={sigma}", "--quiet"]) == 0
    capsys.readouterr()
    pieces = ["center(x", "C(g", "I(x", "log(x", "ref="]
    assert not [s for s in seen if any(p in s for p in pieces)]
