"""One JSON schema for ``fit``, ``regress`` and ``kl`` (issue #24 item 4).

Every command's ``--json`` carries the keys of ``mlekit.cli.JSON_SCHEMA`` for its kind, with
the same meaning and the same shape across commands (``params``/``bse``/``conf_int`` keyed
by the same names; ``aic = -2 llf + 2 k`` with k the free parameters in both ``fit`` and
``regress``); docs/guides/cli.rst lists exactly these keys.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlekit.datasets as ds
from mlekit.cli import JSON_SCHEMA, JSON_SCHEMA_VERSION, main

PAGE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "cli.rst"


@pytest.fixture(autouse=True)
def _wide_output(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("schema")
    rng = np.random.default_rng(3)
    x = rng.normal(size=50)
    df = pd.DataFrame({"x1": x, "y": 1 + 2 * x + np.exp(0.4 * x) * rng.normal(size=50),
                       "c": rng.poisson(np.exp(0.5 + 0.3 * x))})
    lo = np.round(df["y"].to_numpy(), 1)
    df["lo"], df["hi"] = lo - 0.05, lo + 0.05
    df.to_csv(tmp / "d.csv", index=False)
    return {"d": tmp / "d.csv", "nile": ds.path("nile"), "strikes": ds.path("strikes")}


def _json(capsys, *argv) -> dict:
    code = main([str(a) for a in argv] + ["--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _keys(*groups: str) -> set[str]:
    return {k for g in ("common", *groups) for k in JSON_SCHEMA[g]}


_FIT = [
    ("fit", "{nile}", "-c", "volume", "-F", "normal"),
    ("fit", "{nile}", "-c", "volume", "-F", "gamma", "--fixed", "shape=20", "--ci", "profile"),
    ("fit", "{d}", "--low", "lo", "--high", "hi", "-F", "normal", "--level", "0.8"),
    ("fit", "{strikes}", "-c", "duration", "--density", "lam * exp(-lam * x)",
     "--param", "lam=positive", "--support", "positive"),
]
_REGRESS = [
    ("regress", "{d}", "-y", "y", "-x", "x1"),
    ("regress", "{d}", "--formula", "c ~ x1", "-F", "poisson", "--cov-type", "HC0"),
    ("regress", "{d}", "--formula", "y ~ x1", "--param-formula", "sigma=~ x1"),
]


def _argv(cmd: tuple[str, ...], files: dict[str, Path]) -> list[str]:
    return [a.format(**{k: str(v) for k, v in files.items()}) for a in cmd]


@pytest.mark.parametrize("cmd", _FIT + _REGRESS, ids=lambda c: " ".join(c[:1] + c[2:]))
def test_estimates_share_one_schema(capsys, files, cmd):
    out = _json(capsys, *_argv(cmd, files))
    kind = cmd[0]
    assert _keys("estimates", kind) - {"column"} <= set(out), \
        sorted(_keys("estimates", kind) - set(out))
    assert out["command"] == kind and out["schema"] == JSON_SCHEMA_VERSION
    assert isinstance(out["notes"], list) and isinstance(out["nobs"], int)
    free = [k for k in out["params"] if k not in out["fixed"]]
    assert set(out["bse"]) == set(out["conf_int"]) == set(free)
    for k in free:
        lo, hi = out["conf_int"][k]
        assert lo <= out["params"][k] <= hi, k
    assert 0 < out["level"] < 1 and out["ci_method"] in ("wald", "profile")
    # the same criteria in both commands: k counts the free parameters
    k = len(free)
    assert out["aic"] == pytest.approx(-2 * out["llf"] + 2 * k, rel=1e-12)
    assert out["bic"] == pytest.approx(-2 * out["llf"] + k * np.log(out["nobs"]), rel=1e-12)
    assert isinstance(out["converged"], bool) and isinstance(out["method"], str)


def test_fit_auto_schema(capsys, files):
    out = _json(capsys, "fit", files["strikes"], "-c", "duration", "-F", "auto")
    assert _keys("fit --family auto") <= set(out)
    assert out["command"] == "fit" and out["best"] in out["fits"]
    for one in out["fits"].values():
        assert _keys("estimates") - {"file"} <= set(one)
    # rule / tried / skipped (#24 item 3): every registered family is tried or skipped
    assert isinstance(out["rule"], str) and isinstance(out["skipped"], dict)
    assert set(out["tried"]) | set(out["skipped"]) >= set(out["ranking"]) | set(out["failed"])
    assert not set(out["tried"]) & set(out["skipped"])


def test_fit_list_schema(capsys, files):
    out = _json(capsys, "fit", files["strikes"], "-c", "duration", "-F", "gamma,lognormal")
    assert _keys("fit --family auto") <= set(out)
    assert out["tried"] == ["gamma", "lognormal"] and out["skipped"] == {}
    assert set(out["ranking"]) == set(out["fits"]) == {"gamma", "lognormal"}


def test_kl_schema(capsys):
    out = _json(capsys, "kl", "poisson(3)", "poisson(4)")
    assert _keys("kl") <= set(out) and out["command"] == "kl"
    # closed form: 3 log(3/4) + 4 - 3
    assert out["kl"] == pytest.approx(3 * np.log(0.75) + 1, rel=1e-12)


def test_regress_keeps_schema_0_table_consistent(capsys, files):
    out = _json(capsys, "regress", files["d"], "-y", "y", "-x", "x1")
    for name, row in out["rows"].items():
        assert out["params"][name] == row["coef"] and out["bse"][name] == row["std err"]
        assert out["conf_int"][name] == [row["ci_low"], row["ci_high"]]


def test_docs_list_exactly_the_schema():
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("\nJSON output\n-----------\n", 1)[1].split("\nMessages\n", 1)[0]
    listed: dict[str, list[str]] = {}
    group = None
    for line in section.splitlines():
        m = re.match(r"^\*\*(.+?)\*\*", line)
        if m:
            group = m.group(1)
            listed[group] = []
            continue
        m = re.match(r"^- ``([\w ]+)`` — ", line)
        if m:
            assert group is not None, line
            listed[group].append(m.group(1))
    assert listed == {g: list(keys) for g, keys in JSON_SCHEMA.items()}
