"""``python -m jupyter_carbon``: the same as ``jupyter carbon``."""

import sys

from .cli import main

sys.exit(main())
