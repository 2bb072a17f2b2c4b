"""Run the ``>>>`` examples in mlekit's docstrings (what the API reference shows).

Each docstring's examples run in the namespace of its module (like
``pytest --doctest-modules``); ELLIPSIS and NORMALIZE_WHITESPACE are on. Modules
that need an optional dependency are skipped when it is missing.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

import mlekit

OPTIONAL = {"mlekit.torch": "torch", "mlekit.distributed": "dask"}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[str]:
    """Modules whose source has a ``>>>`` line (read as text: nothing is imported)."""
    root = Path(mlekit.__file__).parent
    keep = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if name != "mlekit.__main__" and ">>> " in path.read_text("utf-8"):
            keep.append(name)
    return keep


def _needs(modname: str) -> str | None:
    for prefix, dep in OPTIONAL.items():
        if modname == prefix or modname.startswith(prefix + "."):
            return dep
    return None


MODULES = _modules()


@pytest.mark.parametrize("modname", MODULES)
def test_docstring_examples(modname, tmp_path, monkeypatch):
    dep = _needs(modname)
    if dep and importlib.util.find_spec(dep) is None:
        pytest.skip(f"{modname} needs {dep}, which is not installed")
    mod = importlib.import_module(modname)
    tests = [t for t in doctest.DocTestFinder(exclude_empty=True).find(mod, modname)
             if t.examples and t.name.startswith(modname)]
    if not tests:
        pytest.skip("no docstring examples")
    monkeypatch.chdir(tmp_path)
    old = np.get_printoptions()
    failures = []
    try:
        for test in tests:
            runner = doctest.DocTestRunner(optionflags=FLAGS)
            out: list[str] = []
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
                result = runner.run(test, out=out.append)
            if result.failed:
                failures.append("".join(out))
    finally:
        np.set_printoptions(**old)
    assert not failures, "\n".join(failures)[-8000:]
