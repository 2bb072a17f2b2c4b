"""Every ``console`` block of README.md runs, and what it shows is what the CLI prints.

The python blocks are run by tests/docs/test_readme_examples.py; this file runs the
``$ mlekit …`` commands of the console blocks, each as a whole process of the installed
console script, in a temporary directory that holds the files the README names:

- the shipped data sets as CSV files (``nile.csv``, ``engel.csv``, ``strikes.csv``,
  ``anes96.csv``, ``longley.csv``: the files ``mlekit datasets`` lists);
- ``times.csv``, censored survival times (``t``, ``still_running``), ``data.csv`` (a
  positive ``x``, counts ``y``, ``x1``, ``x2``) and ``data/*.parquet`` (``y``, ``x1``,
  ``g``): small simulated stand-ins for the reader's own files.

Lines after a command are its output: an error line (``mlekit: error: …``) must be the
command's one line on stderr with exit status 2; other output must show the same numbers
in the same order (the table's box characters depend on the terminal, its numbers do
not). A command with no output shown must succeed. Commands that cannot run here are
listed in ``NOT_RUN`` with the reason.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DATA = ROOT / "src" / "mlekit" / "datasets" / "data"
MLEKIT = Path(sys.executable).parent / "mlekit"

#: commands left out -> why
NOT_RUN = {
    "make demo": "the set-up itself (make test runs this suite)",
    "make test": "the set-up itself (make test runs this suite)",
    "--scheduler tcp://host:8786": "needs a running Dask scheduler at that address",
}

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _commands() -> list[tuple[str, list[str]]]:
    """``(command, output lines)`` for every ``$ `` line of every console block."""
    text = README.read_text(encoding="utf-8")
    out: list[tuple[str, list[str]]] = []
    for block in re.findall(r"^```console\n(.*?)^```", text, flags=re.M | re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                out.append((line[2:], []))
            elif out and line.strip():
                out[-1][1].append(line)
    return out


COMMANDS = _commands()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    import pandas as pd

    d = tmp_path_factory.mktemp("readme-console")
    for name in ("nile", "engel", "strikes", "anes96", "longley"):
        shutil.copy(DATA / f"{name}.csv", d / f"{name}.csv")
    rng = np.random.default_rng(2026)
    t = 3.0 * rng.weibull(1.7, 60)
    cut = rng.uniform(0.5, 6.0, 60)
    pd.DataFrame({"t": np.minimum(t, cut).round(3),
                  "still_running": (t > cut).astype(int)}).to_csv(d / "times.csv", index=False)
    x1, x2 = rng.normal(size=200), rng.normal(size=200)
    pd.DataFrame({"x": rng.gamma(3.0, 2.0, 200).round(4), "x1": x1.round(4),
                  "x2": x2.round(4),
                  "y": rng.poisson(np.exp(0.5 + 0.4 * x1 - 0.3 * x2))}).to_csv(
        d / "data.csv", index=False)
    (d / "data").mkdir()
    for part in range(2):
        x = rng.normal(size=300)
        g = rng.choice(["a", "b", "c"], 300)
        pd.DataFrame({"y": rng.poisson(np.exp(0.3 + 0.5 * x)), "x1": x, "g": g}).to_parquet(
            d / "data" / f"part-{part}.parquet")
    return d


def _skip_reason(command: str) -> str | None:
    return next((why for key, why in NOT_RUN.items() if key in command), None)


@pytest.mark.parametrize("command, shown", COMMANDS, ids=[c for c, _ in COMMANDS])
def test_console_command(command, shown, workdir):
    why = _skip_reason(command)
    if why is not None:
        pytest.skip(f"not run: {why}")
    argv = shlex.split(command, comments=True)
    assert argv[0] == "mlekit", f"a README console command that is not mlekit: {command}"
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    proc = subprocess.run([str(MLEKIT), *argv[1:]], cwd=workdir, capture_output=True,
                          text=True, timeout=300, env=env)
    errors = [s for s in shown if s.startswith("mlekit: error:")]
    if errors:
        assert proc.returncode == 2, (command, proc.returncode, proc.stderr)
        assert proc.stderr.strip().splitlines() == errors, (command, proc.stderr)
        return
    assert proc.returncode == 0, (command, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, (command, proc.stderr[-2000:])
    if shown:
        want = _NUMBER.findall(" ".join(shown))
        got = _NUMBER.findall(proc.stdout)
        it = iter(got)
        missing = [w for w in want if not any(g == w for g in it)]
        assert not missing, (command, missing, proc.stdout)


def test_every_console_block_is_covered():
    """Not vacuous: the README has console blocks, their commands are found, and every
    command left out is named in NOT_RUN."""
    assert len(COMMANDS) >= 20
    left_out = [c for c, _ in COMMANDS if _skip_reason(c) is not None]
    assert len(left_out) == 3, left_out
