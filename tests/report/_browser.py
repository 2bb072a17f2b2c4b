"""Headless Chromium for the browser tests of the reports and the docs, in one place.

* :data:`CHROMIUM` — Debian's chromium, or None (then :func:`needs_chromium` skips);
* :func:`run_chromium` — load a page (a copy with a probe script added, usually), print its
  DOM after load (``--dump-dom``), optionally save a screenshot; returns (DOM, stderr),
  the console messages being in stderr (:func:`console_lines`);
* :func:`with_probe` / :func:`probe_data` — add a ``<script>`` that writes its measurements
  as JSON into ``<pre id="mlekit-probe">`` of a copy of the page, and read them back;
* :func:`check_screenshot` — the PNG is not blank (and of the requested size), and is kept
  in ``MLEKIT_SCREENSHOT_DIR`` when that is set, for a person to look at.
"""

from __future__ import annotations

import html
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


def needs_chromium(what: str) -> pytest.MarkDecorator:
    """Skip marker, naming the browser test that is skipped."""
    return pytest.mark.skipif(
        CHROMIUM is None, reason="headless Chromium not installed (Debian: apt-get install -y "
        f"chromium); {what} is skipped")


def run_chromium(url: str, workdir: Path, screenshot: Path | None = None,
                 size: str = "1200,3000", timeout: float = 120,
                 scrollbars: bool = False) -> tuple[str, str]:
    """``(DOM after load, stderr with the console lines)`` of ``url``; asserts exit 0."""
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-default-apps", "--mute-audio",
            f"--user-data-dir={workdir / 'profile'}", "--enable-logging=stderr", "--v=0",
            f"--window-size={size}", "--dump-dom"]
    if not scrollbars:
        args.append("--hide-scrollbars")
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    proc = subprocess.run([*args, url], capture_output=True, text=True, timeout=timeout,
                          cwd=workdir)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def console_lines(stderr: str) -> list[str]:
    """The page's console messages (errors, failed loads, warnings) in Chromium's stderr."""
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln]


def with_probe(page_html: str, probe: str, path: Path) -> Path:
    """Write a copy of the page with the probe script before ``</body>``."""
    path.write_text(page_html.replace("</body>", probe + "</body>"), encoding="utf-8")
    return path


def probe_data(dom: str) -> dict | list:
    """The JSON the probe wrote into ``<pre id="mlekit-probe">``."""
    m = re.search(r'<pre id="mlekit-probe"[^>]*>(.*?)</pre>', dom, re.S)
    assert m, "the probe did not run (page not loaded?)"
    return json.loads(html.unescape(m.group(1)))


def check_screenshot(shot: Path, size: tuple[int, int] | None = None,
                     keep_as: str | None = None) -> None:
    """The screenshot is a real picture (not blank; of ``size`` when given), copied to
    ``MLEKIT_SCREENSHOT_DIR`` (as ``keep_as`` or its own name) when that is set."""
    from PIL import Image

    assert shot.exists(), f"no screenshot at {shot}"
    with Image.open(shot) as im:
        if size is not None:
            assert im.size == size
        lo, hi = im.convert("L").getextrema()
        assert hi - lo > 100, "blank screenshot"
    target = os.environ.get("MLEKIT_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / (keep_as or shot.name))
