"""The demo report in a real browser: headless Chromium renders the figures and the MathML,
the console stays silent, and a screenshot is saved.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``); without it the
test is skipped with the reason. The screenshot is written next to the report in the
test's temporary directory and, if ``MLEKIT_SCREENSHOT_DIR`` is set, copied there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "",
                             shutil.which("chromium-browser") or "") if p and Path(p).exists()),
                None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (Debian: apt-get install -y chromium); "
           "the browser test of the HTML report is skipped")

# Added to a COPY of the report only (the report itself has no scripts): measures the
# rendered boxes of the figures and formulas and writes them into the DOM for --dump-dom.
_PROBE = """<script>
window.addEventListener("load", () => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
  const out = {
    svg: [...document.querySelectorAll("svg.mlekit-figure")].map(box),
    math: [...document.querySelectorAll("math")].map(box),
    mathml: typeof MathMLElement !== "undefined" &&
            document.querySelector("math") instanceof MathMLElement,
    sections: document.querySelectorAll("section").length,
    images_broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length
  };
  const pre = document.createElement("pre");
  pre.id = "mlekit-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _chromium(url: str, workdir: Path, screenshot: Path | None = None,
              timeout: float = 120) -> tuple[str, str]:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-default-apps", "--mute-audio",
            f"--user-data-dir={workdir / 'profile'}", "--enable-logging=stderr", "--v=0",
            "--window-size=1200,3000", "--hide-scrollbars", "--dump-dom"]
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    proc = subprocess.run([*args, url], capture_output=True, text=True, timeout=timeout,
                          cwd=workdir)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def _console_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln]


def test_console_capture_sees_errors(tmp_path):
    """Negative control: a page that logs an error and loads a missing file is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="missing.png">'
                    '<script>console.error("mlekit-negative-control")</script></body></html>')
    _, err = _chromium(page.as_uri(), tmp_path)
    lines = _console_lines(err)
    assert any("mlekit-negative-control" in ln for ln in lines), err[-2000:]


def test_demo_report_renders(demo_html, tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text(demo_html.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"),
                     encoding="utf-8")
    shot = tmp_path / "demo.png"
    dom, err = _chromium(probe.as_uri(), tmp_path, screenshot=shot)

    # the console shows nothing: no errors, no failed loads, no warnings
    assert _console_lines(err) == [], _console_lines(err)

    m = re.search(r'<pre id="mlekit-probe">(.*?)</pre>', dom, re.S)
    assert m, "the probe did not run (page not loaded?)"
    info = json.loads(m.group(1).replace("&quot;", '"'))
    assert info["sections"] == 6
    assert info["mathml"] is True, "this Chromium does not render MathML"
    assert len(info["svg"]) >= 10
    assert all(w > 200 and h > 100 for w, h in info["svg"]), info["svg"]
    assert len(info["math"]) >= 10
    assert all(w > 0 and h > 0 for w, h in info["math"]), info["math"]
    assert info["images_broken"] == 0
    # rendered DOM still holds the figures and the formulas
    assert dom.count("<svg") >= 10 and dom.count("<math") >= 10

    # a real screenshot: a PNG of the requested size that is not blank
    from PIL import Image

    assert shot.exists() and shot.stat().st_size > 50_000
    with Image.open(shot) as im:
        assert im.size == (1200, 3000)
        lo, hi = im.convert("L").getextrema()
        assert hi - lo > 100
    target = os.environ.get("MLEKIT_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / "demo-report.png")
