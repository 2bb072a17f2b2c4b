"""Derivations as headless Chromium draws them: a derive report and the demo's derivation
sections show L(μ) = ∏…, ℓ(μ), NLL(μ), μ̂ = argmin… laid out as MathML (a big ∏ with its
limits, a hat above the estimate), with no SymPy spelling (``product(``, ``ell``,
``muhat``) anywhere in the rendered formulas.

Needs Debian's ``chromium``; skipped with the reason otherwise. Screenshots are written to
the test's temporary directory and, when ``MLEKIT_SCREENSHOT_DIR`` is set, copied there
(``derive-normal.png``, ``derive-poisson-log.png``, ``demo-derivations.png``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _browser import check_screenshot, console_lines, needs_chromium, probe_data, run_chromium
from _browser import with_probe as _with_probe

pytestmark = needs_chromium("the browser test of the rendered derivations")

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


def _render(html: str, tmp_path: Path, name: str, size: str = "1200,2400") -> dict:
    page = _with_probe(html, _PROBE, tmp_path / f"{name}.html")
    shot = tmp_path / f"{name}.png"
    dom, err = run_chromium(page.as_uri(), tmp_path, screenshot=shot, size=size)
    assert console_lines(err) == [], console_lines(err)
    info = probe_data(dom)
    check_screenshot(shot)
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
