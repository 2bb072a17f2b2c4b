"""Run the ``$ mlekit ...`` commands shown on docs/guides/cli.rst and check their output.

Each ``.. code-block:: console`` block holds commands (lines starting with ``$``)
followed by their expected output; ``...`` elides output (doctest's ELLIPSIS) and
whitespace differences are ignored. Commands run in a temporary directory that
holds copies of the shipped CSV files, with ``COLUMNS=100``.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mlekit

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "guides" / "cli.rst"
DATA = Path(mlekit.__file__).parent / "datasets" / "data"


def _examples(text: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs from the console blocks of a page."""
    pairs = []
    for block in re.findall(r"^\.\. code-block:: console\n\n((?:(?:   .*)?\n)+)", text,
                            flags=re.MULTILINE):
        body = textwrap.dedent(block).strip("\n").splitlines()
        cmd, out = None, []
        for line in [*body, "$ "]:
            if line.startswith("$ "):
                if cmd is not None:
                    pairs.append((cmd, "\n".join(out).strip("\n") + "\n"))
                cmd, out = line[2:], []
            else:
                out.append(line)
    return pairs


EXAMPLES = _examples(PAGE.read_text(encoding="utf-8"))


def test_page_has_examples():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_cli_example(command, expected, tmp_path):
    for csv in DATA.glob("*.csv"):
        shutil.copy(csv, tmp_path)
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb",
           "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    got = proc.stdout
    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    assert checker.check_output(expected, got, flags), (
        f"$ {command}\n--- expected ---\n{expected}\n--- got ---\n{got}")
