"""One module per command or command family; ``COMMANDS`` is the explicit list."""

from __future__ import annotations

from ticketcli.commands.customers import customers_cmd
from ticketcli.commands.export import export_cmd
from ticketcli.commands.noise import noise_cmd
from ticketcli.commands.parse import parse_cmd
from ticketcli.commands.quarantine import quarantine_cmd
from ticketcli.commands.show import show_cmd
from ticketcli.commands.sync import import_cmd, sync_cmd
from ticketcli.commands.tickets import close_cmd, reopen_cmd

COMMANDS = [
    sync_cmd,
    import_cmd,
    parse_cmd,
    export_cmd,
    show_cmd,
    close_cmd,
    reopen_cmd,
    customers_cmd,
    quarantine_cmd,
    noise_cmd,
]
