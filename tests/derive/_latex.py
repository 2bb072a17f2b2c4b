"""pdflatex for the derive tests: the document, the call and the skip, in one place.

``compiles(sections, tmp_path)`` writes ``[(title, latex), ...]`` as one article (each
section headed, and marked by a ``% ==== title`` line), runs pdflatex on it (no shell
escape, halting at the first error) and fails naming the section the first error is in.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(
    PDFLATEX is None, reason="no TeX engine (Debian: apt-get install -y texlive-latex-base); "
    "the LaTeX compile check is skipped")


def run_pdflatex(tex: str, tmp_path: Path, name: str = "doc") -> subprocess.CompletedProcess:
    """pdflatex on the document ``tex`` written to ``tmp_path/name.tex``."""
    (tmp_path / f"{name}.tex").write_text(tex, encoding="utf-8")
    return subprocess.run([PDFLATEX, "-halt-on-error", "-interaction=nonstopmode",
                           "-no-shell-escape", f"{name}.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def compiles(sections: Sequence[tuple[str, str]], tmp_path: Path, name: str = "doc") -> Path:
    """Assert that the sections compile as one article; returns the PDF's path."""
    body = "\n\n".join(f"% ==== {title}\n\\section*{{{title}}}\n{latex}"
                       for title, latex in sections)
    doc = ("\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amsmath}\n"
           "\\begin{document}\n" + body + "\n\\end{document}\n")
    proc = run_pdflatex(doc, tmp_path, name)
    where = ""
    m = re.search(r"^l\.(\d+)", proc.stdout, re.M)
    if m:  # the section the failing line belongs to
        lines = doc.splitlines()[: int(m.group(1))]
        where = next((ln for ln in reversed(lines) if ln.startswith("% ====")), "")
    assert proc.returncode == 0, f"{where}\n{proc.stdout[-3000:]}"
    return tmp_path / f"{name}.pdf"
