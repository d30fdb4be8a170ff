"""``python -m seglab``: the console script (see :mod:`seglab.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
