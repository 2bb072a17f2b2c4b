"""The documentation builds with warnings as errors (a broken reference fails)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

sphinx = pytest.importorskip("sphinx", reason="the docs extra (sphinx, numpydoc) is not installed")
pytest.importorskip("numpydoc", reason="the docs extra (sphinx, numpydoc) is not installed")
pytest.importorskip("latex2mathml", reason="the docs extra (latex2mathml) is not installed")

# what a page would load from the network (MathJax and friends come from these CDNs)
CDN = re.compile(r"(?:src|href)=[\"'](?:https?:)?//[^\"']*"
                 r"(?:cdn|jsdelivr|unpkg|cloudflare|googleapis|mathjax)", re.IGNORECASE)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the site once for the tests of this module; return (returncode, stderr, out)."""
    tmp = tmp_path_factory.mktemp("docs")
    out = tmp / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp / "doctrees"), str(DOCS), str(out)],
        capture_output=True, text=True, timeout=600,
    )
    return proc.returncode, proc.stderr, out


def test_docs_build_without_warnings(built):
    returncode, stderr, out = built
    assert returncode == 0, f"sphinx-build failed:\n{stderr[-6000:]}"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "the six ideas" in index.lower()
    for page in ["api.html", "comparison.html", "tutorial/01_maximum_likelihood.html",
                 "guides/cli.html", "generated/mlekit.fit.html"]:
        assert (out / page).is_file(), page


def test_math_is_mathml_and_nothing_comes_from_a_cdn(built):
    """Math renders offline: it is MathML in the page, and no page loads MathJax or a CDN."""
    returncode, stderr, out = built
    assert returncode == 0, f"sphinx-build failed:\n{stderr[-6000:]}"
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 20
    offenders = {}
    n_math = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        hits = CDN.findall(html) + re.findall(r"mathjax[^\"']*\.js", html, flags=re.IGNORECASE)
        if hits:
            offenders[str(page.relative_to(out))] = hits[:3]
        n_math += html.count("<math ")
    assert not offenders, offenders
    for js in out.rglob("*.js"):
        assert "mathjax" not in js.name.lower(), js
    # the six ideas are shown as typeset formulas, inline and displayed
    tut = (out / "tutorial" / "01_maximum_likelihood.html").read_text(encoding="utf-8")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in tut
    assert "<mfrac>" in (out / "tutorial" / "05_mse_from_gaussian.html").read_text("utf-8")
    assert "\\frac" not in tut and "\\arg" not in tut  # no raw LaTeX left in the page
    normal = (out / "generated" / "mlekit.Normal.html").read_text(encoding="utf-8")
    assert "<math" in normal  # docstring math is converted too
    assert n_math > 100
