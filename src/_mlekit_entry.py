"""The ``mlekit`` console script: Ctrl-C at any moment, start-up included, says "interrupted".

``import mlekit`` takes a noticeable fraction of a second (NumPy, SciPy, pandas). A
console script that imports ``mlekit.cli`` at its top would print a Python traceback
if the user pressed Ctrl-C during that import; this module imports nothing of mlekit
until it is inside the ``try``. ``mlekit.cli.main`` handles every later interrupt.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Import the command line and run it; exit 130 with one line on an early Ctrl-C."""
    try:
        from mlekit.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("mlekit: interrupted\n")
        return 130
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
