"""The documentation builds with warnings as errors (a broken reference fails)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

sphinx = pytest.importorskip("sphinx", reason="the docs extra (sphinx, numpydoc) is not installed")
pytest.importorskip("numpydoc", reason="the docs extra (sphinx, numpydoc) is not installed")


def test_docs_build_without_warnings(tmp_path):
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stderr[-6000:]}"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "the six ideas" in index.lower()
    for page in ["api.html", "comparison.html", "tutorial/01_maximum_likelihood.html",
                 "guides/cli.html", "generated/mlekit.fit.html"]:
        assert (out / page).is_file(), page
