"""Every README example runs, and every example that shows its output prints that output.

The README is one story: its ``python`` blocks run in order in one namespace (started
with ``import numpy as np, mlekit as mk``, as the tour does), one test per ``## `` or
``### `` section. A block followed directly by a bare code block must print exactly that
text (compared token by token). A block written as a doctest (``>>>`` prompts) runs as a
doctest in the same namespace (``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``). ``console``
blocks are not run here (tests/docs/test_docs_cli.py runs the CLI guide's commands).

Sections listed in ``OWN_TESTS`` are run by their own test files; sections in ``NOT_RUN``
are left out for the reason given. A block that imports an optional extra (torch, dask)
is skipped when the extra is missing. Each test first replays, silently, the sections
before it that have not run in its process, so the story holds under ``-k`` and
``pytest -n`` (xdist spreads the parameters over workers). Every block runs in a
temporary working directory, so a block that writes a file writes it there.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
#: sections run elsewhere (their own test files hold the printed numbers) -> owner
OWN_TESTS: dict[str, str] = {}
#: sections left out of the run -> why (none today: every example runs; the Performance
#: section's timings are in prose and console blocks, not python blocks)
NOT_RUN: dict[str, str] = {}
#: optional extras a block may import, each skipped when missing
EXTRAS = ("torch", "dask", "distributed")


@dataclass(frozen=True)
class Block:
    """One ``python`` block: its code, the output block after it (or None), doctest or not."""

    code: str
    expected: str | None
    lineno: int

    @property
    def is_doctest(self) -> bool:
        return self.code.lstrip().startswith(">>>")


def _sections() -> list[tuple[str, list[Block]]]:
    """Split the README at ``## `` and ``### `` headings; keep the sections with python."""
    text = README.read_text(encoding="utf-8")
    out = []
    offset = 0
    for part in re.split(r"(?m)^(?=#{2,3} )", text):
        start = offset
        offset += len(part)
        if not part.startswith("#"):
            continue
        title = part.splitlines()[0].lstrip("#").strip()
        blocks = [
            Block(m.group(1), m.group(2), text.count("\n", 0, start + m.start()) + 1)
            for m in re.finditer(r"```python\n(.*?)```\n(?:```\n(.*?)```)?", part, flags=re.DOTALL)
        ]
        if blocks:
            out.append((title, blocks))
    return out


ALL_SECTIONS = _sections()
SECTIONS = [(t, b) for t, b in ALL_SECTIONS if t not in OWN_TESTS and t not in NOT_RUN]


def _extras_missing(code: str) -> list[str]:
    """The optional extras a block imports that are not installed."""
    missing = []
    for name in EXTRAS:
        if re.search(rf"^\s*(import|from) {name}\b", code, flags=re.M):
            try:
                __import__(name)
            except ImportError:
                missing.append(name)
    return missing


def _run_block(title: str, block: Block, ns: dict) -> str:
    """Run one block in ``ns``; return what it printed (doctests: raise on a mismatch)."""
    out = io.StringIO()
    name = f"README.md:{block.lineno} ({title})"
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if block.is_doctest:
            test = doctest.DocTestParser().get_doctest(block.code, ns, name, str(README),
                                                       block.lineno)
            runner = doctest.DocTestRunner(
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
            report = io.StringIO()
            result = runner.run(test, out=report.write, clear_globs=False)
            if result.failed:
                raise AssertionError(f"doctest failed in {name}:\n{report.getvalue()}")
        else:
            exec(compile(block.code, name, "exec"), ns)
    return out.getvalue()


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict:
    ns: dict = {}
    exec("import numpy as np\nimport mlekit as mk", ns)
    return {"ns": ns, "done": set(), "tmp": tmp_path_factory.mktemp("readme")}


def _replay_before(title: str, story: dict) -> None:
    """Run, silently, the runnable sections before ``title`` not yet run in this process."""
    for earlier, blocks in SECTIONS:
        if earlier == title:
            return
        if earlier in story["done"]:
            continue
        story["done"].add(earlier)
        for block in blocks:
            if _extras_missing(block.code):
                break
            _run_block(earlier, block, story["ns"])


@pytest.mark.parametrize("title, blocks", SECTIONS, ids=[s[0][:40] for s in SECTIONS])
def test_readme_section(title: str, blocks: list[Block], story: dict, monkeypatch) -> None:
    monkeypatch.chdir(story["tmp"])
    _replay_before(title, story)
    story["done"].add(title)
    for block in blocks:
        missing = _extras_missing(block.code)
        if missing:
            pytest.skip(f"README.md:{block.lineno} needs the optional extra {missing[0]}")
        printed = _run_block(title, block, story["ns"])
        if block.expected is not None:
            assert printed.split() == block.expected.split(), f"README.md:{block.lineno}"


def _core_modules() -> set[str]:
    """Import names of mlekit's core dependencies (what ``make demo`` installs)."""
    import tomllib

    project = tomllib.loads((README.parent / "pyproject.toml").read_text())["project"]
    names = {re.match(r"[A-Za-z0-9_.-]+", dep).group(0).lower() for dep in project["dependencies"]}
    return {{"scikit-learn": "sklearn"}.get(n, n).replace("-", "_") for n in names} | {"mlekit"}


def test_readme_blocks_import_only_core_dependencies_or_extras() -> None:
    """After ``make demo`` (core dependencies only) every block runs or skips for an extra."""
    allowed = _core_modules() | set(EXTRAS) | set(sys.stdlib_module_names)
    imported = {
        (m.group(1), f"README.md:{block.lineno}")
        for _, blocks in ALL_SECTIONS
        for block in blocks
        for m in re.finditer(r"^\W*(?:import|from) ([A-Za-z_]\w*)", block.code, flags=re.M)
    }
    assert imported, "no imports found: the pattern is wrong"
    assert {(name, where) for name, where in imported if name not in allowed} == set()


def test_readme_sections_are_accounted_for() -> None:
    """Every title named in OWN_TESTS or NOT_RUN is a README section with python blocks."""
    titles = {t for t, _ in ALL_SECTIONS}
    assert set(OWN_TESTS) <= titles
    assert set(NOT_RUN) <= titles
