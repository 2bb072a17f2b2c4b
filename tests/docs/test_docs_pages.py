"""Run every ``>>>`` example in docs/**/*.rst and check the output it shows.

A page that needs an optional dependency says so in a comment at its top,
``.. requires: torch``; it is skipped (with the reason) when that is missing.
"""

from __future__ import annotations

import doctest
import importlib.util
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _rst_pages() -> list[Path]:
    """Every hand-written page (generated API stubs excluded)."""
    return sorted(
        p for p in DOCS.rglob("*.rst")
        if "_build" not in p.parts and "generated" not in p.parts and p.name != "api.rst"
    )


PAGES = [p for p in _rst_pages()
         if re.search(r"^\s*>>> ", p.read_text(encoding="utf-8"), flags=re.MULTILINE)]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _requires(text: str) -> list[str]:
    return re.findall(r"^\.\. requires:\s*(\S+)", text, flags=re.MULTILINE)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_examples(page, tmp_path, monkeypatch):
    text = page.read_text(encoding="utf-8")
    for module in _requires(text):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{page.name} needs {module}, which is not installed")
    monkeypatch.chdir(tmp_path)  # pages that write files write them here
    old = np.get_printoptions()  # pages set their own print options, visibly
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", category=RuntimeWarning, module=r"mlekit")
            result = doctest.testfile(
                str(page), module_relative=False, optionflags=FLAGS,
                encoding="utf-8", verbose=False, report=True,
            )
    finally:
        np.set_printoptions(**old)
    assert result.attempted > 0, f"{page.name}: no examples ran"
    assert result.failed == 0, f"{page.name}: {result.failed} of {result.attempted} failed"
