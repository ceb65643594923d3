"""``python -m segmentation``: the command line."""

import gc
import sys

from segmentation.cli import main

status = main()
# The interpreter's last garbage collection at exit would walk every object the run made
# (about 0.3 s) only to free memory the process gives back anyway.
gc.freeze()
sys.exit(status)
