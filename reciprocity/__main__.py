"""`python -m reciprocity` runs the command line."""

import sys

from reciprocity.cli import main

sys.exit(main())
