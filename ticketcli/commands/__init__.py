"""One module per command or command family; ``COMMANDS`` is the explicit table.

Each line names a command and where it lives, ``"module:attribute"``; the
command group (``ticketcli.cli``) imports a command's module only when that
command runs or asks for its help, click's documented lazy-group pattern, so
a start-up pays for one command, not for all of them. A new command is one
new line here.
"""

from __future__ import annotations

COMMANDS: dict[str, str] = {
    "sync": "ticketcli.commands.sync:sync_cmd",
    "import": "ticketcli.commands.sync:import_cmd",
    "check": "ticketcli.commands.check:check_cmd",
    "auth": "ticketcli.commands.auth:auth_cmd",
    "parse": "ticketcli.commands.parse:parse_cmd",
    "export": "ticketcli.commands.export:export_cmd",
    "show": "ticketcli.commands.show:show_cmd",
    "close": "ticketcli.commands.tickets:close_cmd",
    "reopen": "ticketcli.commands.tickets:reopen_cmd",
    "agents": "ticketcli.commands.agents:agents_cmd",
    "assign": "ticketcli.commands.tickets:assign_cmd",
    "unassign": "ticketcli.commands.tickets:unassign_cmd",
    "take": "ticketcli.commands.tickets:take_cmd",
    "set": "ticketcli.commands.tickets:set_cmd",
    "customer": "ticketcli.commands.tickets:customer_cmd",
    "note": "ticketcli.commands.tickets:note_cmd",
    "time": "ticketcli.commands.tickets:time_cmd",
    "merge": "ticketcli.commands.tickets:merge_cmd",
    "move": "ticketcli.commands.move:move_cmd",
    "unmerge": "ticketcli.commands.tickets:unmerge_cmd",
    "new": "ticketcli.commands.tickets:new_cmd",
    "tag": "ticketcli.commands.tags:tag_cmd",
    "attachments": "ticketcli.commands.attachments:attachments_cmd",
    "untag": "ticketcli.commands.tags:untag_cmd",
    "watch": "ticketcli.commands.watch:watch_cmd",
    "unwatch": "ticketcli.commands.watch:unwatch_cmd",
    "search": "ticketcli.commands.search:search_cmd",
    "reply": "ticketcli.commands.reply:reply_cmd",
    "templates": "ticketcli.commands.reply:templates_cmd",
    "report": "ticketcli.commands.report:report_cmd",
    "stats": "ticketcli.commands.stats:stats_cmd",
    "customers": "ticketcli.commands.customers:customers_cmd",
    "quarantine": "ticketcli.commands.quarantine:quarantine_cmd",
    "noise": "ticketcli.commands.noise:noise_cmd",
    "outbox": "ticketcli.commands.outbox:outbox_cmd",
    "init": "ticketcli.commands.store:init_cmd",
    "migrate": "ticketcli.commands.store:migrate_cmd",
    "copy": "ticketcli.commands.store:copy_cmd",
    "backup": "ticketcli.commands.backup:backup_cmd",
    "restore": "ticketcli.commands.backup:restore_cmd",
}
