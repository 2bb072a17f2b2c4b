"""One demo run shared by the report tests (it takes a few seconds)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_sections():
    from mlekit.report.demo import run_demo

    return run_demo()


@pytest.fixture(scope="session")
def demo_html(demo_sections, tmp_path_factory):
    from mlekit.report import demo_report

    out = tmp_path_factory.mktemp("demo") / "demo.html"
    demo_report(demo_sections, out)
    return out
