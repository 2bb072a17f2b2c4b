"""Hostile ``--density`` / ``--param`` / distribution text in ``mlekit fit`` and ``mlekit kl``
never runs code.

Each payload tries to create a marker file from the density formula, a parameter name, a
parameter domain, the support or the ``custom(...)`` spec of ``kl``; the command must end
with exit status 2 and one ``mlekit: error:`` line, and the marker must not exist. A spy
on ``builtins.eval``/``exec`` shows that no string holding a piece of the user's text is
evaluated during legitimate runs of both commands.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _cases import PAYLOADS, spy_eval_exec

from mlekit.cli import main

_PAYLOADS = PAYLOADS
_GOOD = "lam * exp(-lam * x)"


def _fit(f, density, param="lam=positive", support="positive"):
    return ["fit", str(f["data"]), "-c", "t", "--density", density, "--param", param,
            "--support", support]


def _kl(f, p="custom(lam=1)", density=_GOOD, param="lam=positive"):
    return ["kl", p, "exponential(rate=2)", "--density", density, "--param", param,
            "--support", "positive"]


_PLACES = {
    "fit-density": lambda f, e: _fit(f, e),
    "fit-density-inside": lambda f, e: _fit(f, f"lam * exp(-lam * x) * ({e})"),
    "fit-param-name": lambda f, e: _fit(f, _GOOD, f"{e}=positive"),
    "fit-param-domain": lambda f, e: _fit(f, _GOOD, f"lam={e}"),
    "fit-support": lambda f, e: _fit(f, _GOOD, support=e),
    "kl-density": lambda f, e: _kl(f, density=f"lam * exp(-lam * x) + {e}"),
    "kl-spec-value": lambda f, e: _kl(f, p=f"custom(lam={e})"),
    "kl-spec-positional": lambda f, e: _kl(f, p=f"custom({e})"),
    "kl-spec-head": lambda f, e: _kl(f, p=e),
    "kl-spec-kwargs": lambda f, e: _kl(f, p=f"custom(**{{'lam': {e}}})"),
}


@pytest.fixture(scope="module")
def f(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("hostile-cli-density")
    rng = np.random.default_rng(11)
    pd.DataFrame({"t": rng.exponential(2.0, size=30)}).to_csv(tmp / "t.csv", index=False)
    return {"dir": tmp, "data": tmp / "t.csv"}


@pytest.mark.parametrize("payload", list(_PAYLOADS))
@pytest.mark.parametrize("place", list(_PLACES))
def test_payload_never_runs(f, capsys, monkeypatch, place, payload):
    monkeypatch.chdir(f["dir"])
    marker = f["dir"] / f"{place}-{payload}.marker"
    argv = _PLACES[place](f, _PAYLOADS[payload].format(m=marker))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        code = main(argv)
    _, err = capsys.readouterr()
    assert not marker.exists(), "INJECTION EXECUTED"
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("mlekit: error: "), err
    assert "Traceback" not in err and "internal error" not in err


def test_eval_and_exec_never_see_the_users_text(f, capsys, monkeypatch):
    seen = spy_eval_exec(monkeypatch)
    density = "lamq * exp(-lamq * x)"
    assert main(["fit", str(f["data"]), "-c", "t", "--density", density, "--param",
                 "lamq=positive", "--support", "positive", "--quiet"]) == 0
    assert main(["kl", "custom(lamq=0.7)", "exponential(rate=2)", "--density", density,
                 "--param", "lamq=positive", "--support", "positive", "--quiet"]) == 0
    capsys.readouterr()
    assert not [s for s in seen if "lamq" in s or "custom(" in s]
