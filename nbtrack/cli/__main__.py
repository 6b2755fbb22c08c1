"""``python -m nbtrack.cli``: run the command line."""
import sys

from .commands import main

sys.exit(main())
