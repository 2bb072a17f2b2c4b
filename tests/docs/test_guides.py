"""Run every ``>>>`` example in docs/**/*.rst and check the output it shows.

A page that needs an optional dependency says so in a comment at its top,
``.. requires: torch``; it is skipped (with the reason) when that is missing.
"""

from __future__ import annotations

import doctest
import importlib.util
import re
import warnings

import numpy as np
import pytest

from .conftest import DOCS, rst_pages

PAGES = [p for p in rst_pages() if ">>>" in p.read_text(encoding="utf-8")]
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
            warnings.simplefilter("error", RuntimeWarning)
            result = doctest.testfile(
                str(page), module_relative=False, optionflags=FLAGS,
                encoding="utf-8", verbose=False, report=True,
            )
    finally:
        np.set_printoptions(**old)
    assert result.attempted > 0, f"{page.name}: no examples ran"
    assert result.failed == 0, f"{page.name}: {result.failed} of {result.attempted} failed"
