"""Allow ``python -m ticketcli``."""

from ticketcli.cli import run

run()
