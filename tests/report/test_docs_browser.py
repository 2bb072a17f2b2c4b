"""#24 item 6: a docs page in headless Chromium — the theme never clips a code line.

A small Sphinx project is built in a temporary directory with the documentation's own
theme (``html_theme`` read from docs/conf.py) and math extension, from a real page
(tutorial 5, which holds code longer than the text column) and a control page with a
line of 40 terms. Chromium then renders both (with its ordinary scrollbars) and a probe
measures every ``<pre>``: a block whose text is wider than its box (scrollWidth >
clientWidth) must scroll — ``overflow-x: auto | scroll`` with a horizontal scrollbar that
takes room under the text, so the reader sees that there is more — and no ancestor may
cut the block off. A screenshot of the tutorial page is kept (copied to
``MLEKIT_SCREENSHOT_DIR`` when set).

Needs Debian's ``chromium`` and the ``docs`` extra (sphinx, latex2mathml, the theme);
skipped with the reason otherwise. The full site is built by tests/docs/test_docs_build.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _browser import check_screenshot, needs_chromium, probe_data, run_chromium

DOCS = Path(__file__).resolve().parents[2] / "docs"
pytestmark = needs_chromium("the browser test of the docs theme")
pytest.importorskip("sphinx", reason="the docs extra (sphinx) is not installed")
pytest.importorskip("latex2mathml", reason="the docs extra (latex2mathml) is not installed")

THEME = re.search(r'^html_theme\s*=\s*"([\w.-]+)"', (DOCS / "conf.py").read_text("utf-8"),
                  re.M).group(1)

_PROBE = """<script>
window.addEventListener("load", () => {
  const out = [...document.querySelectorAll("pre")].map(pre => {
    const cs = getComputedStyle(pre), r = pre.getBoundingClientRect();
    const bar = pre.offsetHeight - pre.clientHeight
                - parseFloat(cs.borderTopWidth) - parseFloat(cs.borderBottomWidth);
    let cut = null;  // the first ancestor that hides what sticks out of it
    for (let a = pre.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a), ar = a.getBoundingClientRect();
      if (["hidden", "clip"].includes(s.overflowX) && r.right > ar.right + 1) {
        cut = a.tagName + "." + a.className; break;
      }
    }
    return {text: pre.textContent.slice(0, 60), sw: pre.scrollWidth, cw: pre.clientWidth,
            ox: cs.overflowX, ws: cs.whiteSpace, bar: bar, right: r.right, cut: cut,
            vw: document.documentElement.clientWidth};
  });
  // display equations: a wrapper that scrolls vertically shows a needless scrollbar
  out.push(...[...document.querySelectorAll("div.math, .math-wrapper")].map(m => {
    const cs = getComputedStyle(m);
    return {math: true, sh: m.scrollHeight, ch: m.clientHeight, oy: cs.overflowY};
  }));
  const p = document.createElement("pre");
  p.id = "mlekit-probe";
  p.style.whiteSpace = "pre-wrap";
  p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
});
</script>"""

LONG = "x = " + " + ".join(f"term_{i}" for i in range(40))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("docs-theme")
    src = tmp / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(DOCS / '_ext')!r})\n"
        "extensions = ['mathml']\nhtml_math_renderer = 'mathml'\n"
        f"html_theme = {THEME!r}\nroot_doc = 'index'\nproject = 'mlekit'\n"
        f"html_static_path = [{str(DOCS / '_static')!r}]\nhtml_css_files = ['mlekit.css']\n",
        "utf-8")
    shutil.copy(DOCS / "tutorial" / "05_mse_from_gaussian.rst", src / "page.rst")
    (src / "long.rst").write_text(
        f"Long lines\n==========\n\n.. code-block:: python\n\n   {LONG}\n\n"
        f">>> {LONG}  # doctest: +SKIP\n", "utf-8")
    (src / "index.rst").write_text("Docs\n====\n\n.. toctree::\n\n   page\n   long\n", "utf-8")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", "-d",
                           str(tmp / "doctrees"), str(src), str(tmp / "html")],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 and "no theme named" in proc.stderr.lower():
        pytest.skip(f"the docs theme {THEME!r} is not installed (the docs extra)")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return tmp


def _measure(site: Path, page: str, screenshot: Path | None = None) -> list[dict]:
    probe = site / "html" / f"{page}_probe.html"
    probe.write_text((site / "html" / f"{page}.html").read_text("utf-8")
                     .replace("</body>", _PROBE + "</body>"), "utf-8")
    # scrollbars shown: whether a code block scrolls with a visible bar is what is tested
    dom, _ = run_chromium(probe.as_uri(), site, screenshot=screenshot, size="1200,1600",
                          scrollbars=True)
    return probe_data(dom)


def _code(entries: list[dict]) -> list[dict]:
    return [e for e in entries if not e.get("math")]


def _scrolling_math(entries: list[dict]) -> list[dict]:
    """Display-math wrappers taller than their box that scroll vertically."""
    return [e for e in entries if e.get("math") and e["sh"] > e["ch"] + 1
            and e["oy"] in ("auto", "scroll")]


def _clipped(blocks: list[dict]) -> list[dict]:
    """Blocks whose text is cut off: wider than the box with no visible scrollbar, or cut
    by an ancestor, or running past the window."""
    bad = []
    for b in blocks:
        wraps = b["ws"] in ("pre-wrap", "pre-line", "normal", "break-spaces")
        hidden = b["sw"] > b["cw"] + 1 and not wraps and not (
            b["ox"] in ("auto", "scroll") and b["bar"] >= 4)
        if hidden or b["cut"] or b["right"] > b["vw"] + 1:
            bad.append(b)
    return bad


def test_docs_code_is_never_clipped(site, tmp_path):
    shot = tmp_path / "docs-page.png"
    entries = _measure(site, "page", screenshot=shot)
    page, long = _code(entries), _code(_measure(site, "long"))
    # display equations (the tutorial has one) never scroll vertically (docs/_static)
    assert any(e.get("math") for e in entries)
    assert _scrolling_math(entries) == [], _scrolling_math(entries)
    # the check is not vacuous: the control line and a line of the tutorial overflow
    assert any(b["sw"] > b["cw"] + 100 for b in long), long
    assert any(b["sw"] > b["cw"] for b in page), page
    assert len(page) >= 4
    assert _clipped(page) == [], (THEME, _clipped(page))
    assert _clipped(long) == [], (THEME, _clipped(long))

    check_screenshot(shot, (1200, 1600), keep_as="docs-page.png")


def test_the_clip_check_catches_a_hidden_overflow():
    """Negative control: a block that overflows with no scrollbar, or that an ancestor
    cuts off, is reported; one that scrolls with a bar, or wraps, is not."""
    base = {"text": "", "sw": 3000, "cw": 700, "ox": "hidden", "ws": "pre", "bar": 0,
            "right": 900, "cut": None, "vw": 1185}
    assert _clipped([base]) == [base]
    assert _clipped([{**base, "ox": "auto", "bar": 0}])  # an invisible overlay scrollbar
    assert _clipped([{**base, "ox": "visible", "cut": "DIV.body"}])
    assert _clipped([{**base, "ox": "auto", "bar": 10}]) == []
    assert _clipped([{**base, "ws": "pre-wrap", "sw": 700}]) == []
