"""``python -m jupyter_carbon.cli``: the same as ``jupyter carbon``."""

import sys

from .main import main

sys.exit(main())
