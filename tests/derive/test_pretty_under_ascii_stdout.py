"""``str(derivation)`` works when Python's stdout is ASCII (``LANG=C``, a pipe to a
non-UTF-8 consumer): SymPy's pretty tables follow a global switch set from stdout's
encoding, which made the Unicode printer raise ``KeyError: 'UpTack'``."""

from __future__ import annotations

import os
import subprocess
import sys


def test_str_of_a_derivation_under_ascii_stdout():
    code = ("import mlekit as mk\n"
            "s = str(mk.derive('normal', wrt='mu'))\n"
            "print(len(s) > 100, '\\u03c3' in s)")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.split() == ["True", "True"]
