"""``python -m mlgate`` is the ``mlgate`` command."""

import sys

from mlgate.cli import main

if __name__ == "__main__":
    sys.exit(main())
