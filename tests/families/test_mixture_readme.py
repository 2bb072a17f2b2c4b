"""The README's "Mixtures" examples run and print what the README shows (each ```python
block, then the output block under it)."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
TITLE = "## Mixtures"


def _blocks() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index(TITLE + "\n")
    end = text.index("\n## ", start + len(TITLE))
    section = text[start:end]
    pairs = re.findall(r"```python\n(.*?)```\n```\n(.*?)```", section, flags=re.DOTALL)
    assert len(pairs) == 2, "the section's examples moved: update this test"
    return pairs


BLOCKS = _blocks()


@pytest.fixture(scope="module")
def namespace():
    return {}


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_block(i, namespace):
    code, expected = BLOCKS[i]
    if i and "mk" not in namespace:  # (run alone: the first block imports and sets up)
        exec(compile(BLOCKS[0][0], "README", "exec"), namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("error")          # the examples run without a warning
        exec(compile(code, "README", "exec"), namespace)
    assert out.getvalue().split() == expected.split()
