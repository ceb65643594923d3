"""``python -m segmentation``: the command line."""

import sys

from segmentation.cli import main

sys.exit(main())
