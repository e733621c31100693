"""Allow ``python -m ticketcli``."""

from ticketcli.cli import main

main()
