"""The ``mlekit`` console script: Ctrl-C at any moment, start-up included, says "interrupted".

Start-up still takes a noticeable fraction of a second (typer and rich for the command
line; NumPy, SciPy and pandas once a command needs them). A console script that imports
``mlekit.cli`` at its top prints a Python traceback if the user presses Ctrl-C during
that import (and an interrupt inside a C extension's import can even surface as an
``ImportError``). This module imports nothing of mlekit until a
SIGINT handler of its own is in place: an interrupt during start-up writes one line and
ends the process with status 130. ``mlekit.cli.main`` handles every later interrupt.
"""

from __future__ import annotations

import os
import signal
import sys


def _interrupted_during_startup(signum: int, frame: object) -> None:
    os.write(2, b"mlekit: interrupted\n")
    os._exit(130)  # nothing of ours to clean up yet: no output written, no file open


def main() -> int:
    """Import the command line under the start-up handler, then run it."""
    previous = signal.signal(signal.SIGINT, _interrupted_during_startup)
    try:
        from mlekit.cli import main as cli_main
    finally:
        signal.signal(signal.SIGINT, previous)
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
