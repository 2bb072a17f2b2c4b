"""Shared helpers for the documentation tests."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def rst_pages() -> list[Path]:
    """Every hand-written page (generated API stubs excluded)."""
    return sorted(
        p for p in DOCS.rglob("*.rst")
        if "_build" not in p.parts and "generated" not in p.parts and p.name != "api.rst"
    )
