"""The demo report in a real browser: headless Chromium renders the figures and the MathML,
the console stays silent, and a screenshot is saved.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``); without it the
test is skipped with the reason. The screenshot is written next to the report in the
test's temporary directory and, if ``MLEKIT_SCREENSHOT_DIR`` is set, copied there.
"""

from __future__ import annotations

from _browser import (
    check_screenshot,
    console_lines,
    needs_chromium,
    probe_data,
    run_chromium,
    with_probe,
)

pytestmark = needs_chromium("the browser test of the HTML report")

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
  pre.style.display = "none";  // (in the DOM for --dump-dom, not in the screenshot)
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def test_console_capture_sees_errors(tmp_path):
    """Negative control: a page that logs an error and loads a missing file is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="missing.png">'
                    '<script>console.error("mlekit-negative-control")</script></body></html>')
    _, err = run_chromium(page.as_uri(), tmp_path)
    lines = console_lines(err)
    assert any("mlekit-negative-control" in ln for ln in lines), err[-2000:]


def test_demo_report_renders(demo_html, tmp_path):
    probe = with_probe(demo_html.read_text(encoding="utf-8"), _PROBE, tmp_path / "probe.html")
    shot = tmp_path / "demo.png"
    dom, err = run_chromium(probe.as_uri(), tmp_path, screenshot=shot)

    # the console shows nothing: no errors, no failed loads, no warnings
    assert console_lines(err) == [], console_lines(err)
    info = probe_data(dom)
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
    assert shot.stat().st_size > 50_000
    check_screenshot(shot, (1200, 3000), keep_as="demo-report.png")
