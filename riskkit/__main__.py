"""``python -m riskkit ...`` is the ``riskkit`` command."""

from riskkit.cli import command

command()
