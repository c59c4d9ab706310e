"""``python -m riskkit.reports ...`` is ``riskkit report ...``."""

import sys

from riskkit.cli import main

sys.exit(main(["report", *sys.argv[1:]]))
