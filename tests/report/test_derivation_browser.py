"""Derivations as headless Chromium draws them: a derive report and the demo's derivation
sections show L(μ) = ∏…, ℓ(μ), NLL(μ), μ̂ = argmin… laid out as MathML (a big ∏ with its
limits, a hat above the estimate), with no SymPy spelling (``product(``, ``ell``,
``muhat``) anywhere in the rendered formulas.

Needs Debian's ``chromium``; skipped with the reason otherwise. Screenshots are written to
the test's temporary directory and, when ``MLEKIT_SCREENSHOT_DIR`` is set, copied there
(``derive-normal.png``, ``derive-poisson-log.png``, ``demo-derivations.png``).
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
           "the browser test of the rendered derivations is skipped")

# added to a COPY of the page only: measures the laid-out formulas for --dump-dom
_PROBE = """<script>
window.addEventListener("load", () => {
  const h = e => e.getBoundingClientRect().height;
  const maths = [...document.querySelectorAll("math")];
  const bigops = [...document.querySelectorAll("munderover")]
    .filter(e => ["\\u220F", "\\u2211"].includes(e.firstElementChild.textContent.trim()));
  const hats = [...document.querySelectorAll("mover")];
  const letters = [...document.querySelectorAll("math mi")].filter(e => e.textContent === "x"
                                                                   || e.textContent === "m");
  const out = {
    mathml: typeof MathMLElement !== "undefined" && maths[0] instanceof MathMLElement,
    n_math: maths.length,
    empty_math: maths.filter(e => h(e) === 0 || e.getBoundingClientRect().width === 0).length,
    text: maths.map(e => e.textContent).join(" | "),
    prod_height: Math.max(0, ...bigops.filter(e => e.firstElementChild.textContent.trim()
                                               === "\\u220F").map(h)),
    letter_height: Math.min(...letters.map(h)),
    hat_over_base: hats.map(e => [h(e), h(e.firstElementChild)]),
  };
  const pre = document.createElement("pre");
  pre.id = "mlekit-probe";
  pre.style.display = "none";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _chromium(page: Path, workdir: Path, shot: Path, size: str) -> tuple[str, str]:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-default-apps", "--mute-audio",
            f"--user-data-dir={workdir / 'profile'}", "--enable-logging=stderr", "--v=0",
            f"--window-size={size}", "--hide-scrollbars", "--dump-dom",
            f"--screenshot={shot}", page.as_uri()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=workdir)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def _render(html: str, tmp_path: Path, name: str, size: str = "1200,2400") -> dict:
    page = tmp_path / f"{name}.html"
    page.write_text(html.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    shot = tmp_path / f"{name}.png"
    dom, err = _chromium(page, tmp_path, shot, size)
    console = [ln for ln in err.splitlines() if ":CONSOLE" in ln]
    assert console == [], console
    m = re.search(r'<pre id="mlekit-probe"[^>]*>(.*?)</pre>', dom, re.S)
    assert m, "the probe did not run (page not loaded?)"
    info = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")
                      .replace("&lt;", "<").replace("&gt;", ">"))
    from PIL import Image

    with Image.open(shot) as im:
        lo, hi = im.convert("L").getextrema()
        assert hi - lo > 100, "blank screenshot"
    target = os.environ.get("MLEKIT_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / shot.name)
    return info


def _check_rendered(info: dict) -> None:
    assert info["mathml"] is True, "this Chromium does not render MathML"
    assert info["n_math"] >= 6 and info["empty_math"] == 0, info
    text = info["text"]
    for good in ("\u220f", "\u2113", "NLL", "argmin"):  # ∏, ℓ
        assert good in text, good
    for bad in ("product(", "ell(", "nll(", "muhat", "what", "hat"):
        assert bad not in text, (bad, text[:500])
    # a real layout: the ∏ with its limits is much taller than a letter, the hat sits above
    assert info["prod_height"] > 1.8 * info["letter_height"], info
    assert info["hat_over_base"], "no hat drawn"
    assert all(over > base for over, base in info["hat_over_base"]), info["hat_over_base"]


@pytest.mark.parametrize("name, kwargs", [("normal", {}), ("poisson", {"link": "log"})],
                         ids=["normal", "poisson-log"])
def test_derive_report_renders_textbook_math(tmp_path, name, kwargs):
    import mlekit as mk
    from mlekit.report import derive_report

    slug = "-".join([name, *kwargs.values()])
    out = derive_report(mk.derive(name, **kwargs), mk.FAMILIES[name],
                        tmp_path / f"derive-{slug}-report.html")
    info = _render(out.read_text(encoding="utf-8"), tmp_path, f"derive-{slug}", "1200,1900")
    _check_rendered(info)
    if kwargs:  # Poisson regression: ŵ = argmin over w (SymPy printed "what = argmin(...)")
        assert "w^=argminw" in info["text"].replace(" ", ""), info["text"][-300:]


def test_demo_derivation_sections_render(demo_html, tmp_path):
    html = demo_html.read_text(encoding="utf-8")
    # show only the sections that hold derivations, so the screenshot is of them
    keep = [m.group(1) for m in re.finditer(r'<section id="([^"]+)">(?:(?!</section>).)*'
                                            r'mlekit-derivation', html, re.S)]
    assert len(keep) == 2, keep
    css = ("<style>section, nav.toc { display: none; } "
           + " ".join(f"#{k} {{ display: block; }}" for k in keep) + "</style>")
    info = _render(html.replace("</head>", css + "</head>"), tmp_path, "demo-derivations",
                   "1200,3600")
    _check_rendered(info)
    assert "\u0175" not in info["text"]  # ŵ is a hat over w in MathML, not a precomposed letter
