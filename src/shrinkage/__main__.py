"""``python -m shrinkage``: the command line, as the ``shrinkage`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
