"""``python -m mlekit`` runs the command line (same as the ``mlekit`` script)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
