"""One module per command or command family; ``COMMANDS`` is the explicit list."""

from __future__ import annotations

from ticketcli.commands.agents import agents_cmd
from ticketcli.commands.auth import auth_cmd
from ticketcli.commands.backup import backup_cmd, restore_cmd
from ticketcli.commands.check import check_cmd
from ticketcli.commands.customers import customers_cmd
from ticketcli.commands.export import export_cmd
from ticketcli.commands.noise import noise_cmd
from ticketcli.commands.outbox import outbox_cmd
from ticketcli.commands.parse import parse_cmd
from ticketcli.commands.quarantine import quarantine_cmd
from ticketcli.commands.reply import reply_cmd, templates_cmd
from ticketcli.commands.report import report_cmd
from ticketcli.commands.show import show_cmd
from ticketcli.commands.stats import stats_cmd
from ticketcli.commands.store import copy_cmd, init_cmd, migrate_cmd
from ticketcli.commands.sync import import_cmd, sync_cmd
from ticketcli.commands.tickets import (
    assign_cmd,
    close_cmd,
    customer_cmd,
    merge_cmd,
    new_cmd,
    note_cmd,
    reopen_cmd,
    set_cmd,
    take_cmd,
    time_cmd,
    unassign_cmd,
)

COMMANDS = [
    sync_cmd,
    import_cmd,
    check_cmd,
    auth_cmd,
    parse_cmd,
    export_cmd,
    show_cmd,
    close_cmd,
    reopen_cmd,
    agents_cmd,
    assign_cmd,
    unassign_cmd,
    take_cmd,
    set_cmd,
    customer_cmd,
    note_cmd,
    time_cmd,
    merge_cmd,
    new_cmd,
    reply_cmd,
    templates_cmd,
    report_cmd,
    stats_cmd,
    customers_cmd,
    quarantine_cmd,
    noise_cmd,
    outbox_cmd,
    init_cmd,
    migrate_cmd,
    copy_cmd,
    backup_cmd,
    restore_cmd,
]
