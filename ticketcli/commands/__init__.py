"""One module per command or command family; ``COMMANDS`` is the explicit table.

Each line names a command, where it lives (``"module:attribute"``) and its
one-line help, the first sentence of its docstring as ``ticketcli --help``
lists it. The command group (``ticketcli.cli``) imports a command's module
only when that command runs or shows its own help, click's documented
lazy-group pattern, so a start-up pays for one command, not for all of them,
and ``--help`` for none (tests/cli/test_startup.py holds each line's help to
the command's own, so the two cannot drift).

A new command is one new entry here::

    "escalate": (
        "ticketcli.commands.escalate:escalate_cmd",
        "The first sentence of escalate_cmd's docstring.",
    ),
"""

from __future__ import annotations

# name: ("module:attribute", the first sentence of the command's help)
COMMANDS: dict[str, tuple[str, str]] = {
    "sync": (
        "ticketcli.commands.sync:sync_cmd",
        "Read new mail from every source into tickets.",
    ),
    "import": (
        "ticketcli.commands.sync:import_cmd",
        "Read an mbox, Maildir, folder of .eml files, or - (stdin) into tickets.",
    ),
    "check": (
        "ticketcli.commands.check:check_cmd",
        "Connect to every source (and SMTP) and say what the next sync would fetch.",
    ),
    "auth": (
        "ticketcli.commands.auth:auth_cmd",
        "OAuth2 sign-in for Microsoft 365 and Google Workspace mailboxes.",
    ),
    "parse": (
        "ticketcli.commands.parse:parse_cmd",
        "Show what ticketcli reads from one message (FILE, or - for stdin).",
    ),
    "export": (
        "ticketcli.commands.export:export_cmd",
        "Write every ticket with its messages as JSON lines, for scripts.",
    ),
    "show": (
        "ticketcli.commands.show:show_cmd",
        "Show ticket NUMBER: its details, and every message (with its short id, "
        "[m12]) with why it is here, with notes and changes in between; quoted "
        "history is folded unless --full.",
    ),
    "close": ("ticketcli.commands.tickets:close_cmd", "Close the tickets NUMBERS."),
    "reopen": (
        "ticketcli.commands.tickets:reopen_cmd",
        "Reopen the closed tickets NUMBERS.",
    ),
    "agents": (
        "ticketcli.commands.agents:agents_cmd",
        "Staff members: logins, names and the addresses that make mail outbound.",
    ),
    "assign": ("ticketcli.commands.tickets:assign_cmd", "Give the tickets N..."),
    "unassign": (
        "ticketcli.commands.tickets:unassign_cmd",
        "Put the tickets NUMBERS back in the pool, for someone else to take.",
    ),
    "take": (
        "ticketcli.commands.tickets:take_cmd",
        "Assign the tickets NUMBERS to yourself (--as, $TICKETCLI_USER, OS user).",
    ),
    "set": (
        "ticketcli.commands.tickets:set_cmd",
        "Set ticket NUMBER's priority, type, due date, queue, status (pending or "
        "open), subject or requester.",
    ),
    "customer": (
        "ticketcli.commands.tickets:customer_cmd",
        "Set ticket NUMBER's CUSTOMER (code or name); the requester's address is "
        "remembered for that customer, so the next mail is recognised.",
    ),
    "note": (
        "ticketcli.commands.tickets:note_cmd",
        "Add an internal note TEXT to ticket NUMBER (never mailed to the customer; an"
        " @login in it notifies that agent when configured).",
    ),
    "time": (
        "ticketcli.commands.tickets:time_cmd",
        "Log work time DURATION (45m, 1h30m) on ticket NUMBER; `time N --list` lists "
        "its entries with their ids, `time --remove ID` takes a wrong one back (the "
        "history keeps both).",
    ),
    "merge": (
        "ticketcli.commands.tickets:merge_cmd",
        "Merge ticket NUMBER INTO ticket M: messages and history move to M, NUMBER is"
        " closed as merged, and replies to its mail thread into M.",
    ),
    "move": (
        "ticketcli.commands.move:move_cmd",
        "Move message MSG (its short id from `show`, or its Message-ID) to ticket N "
        "or to a new ticket; both histories record it, and a later reply to it "
        "follows it there.",
    ),
    "unmerge": (
        "ticketcli.commands.tickets:unmerge_cmd",
        "Undo `merge NUMBER into M`: NUMBER gets back its own messages, history, "
        "links and number, and M what it had before.",
    ),
    "new": (
        "ticketcli.commands.tickets:new_cmd",
        "Open a ticket by hand: a phone call, a walk-in, a web form.",
    ),
    "tag": ("ticketcli.commands.tags:tag_cmd", "Put the tags TAG..."),
    "attachments": (
        "ticketcli.commands.attachments:attachments_cmd",
        "A ticket's attachments: `attachments N` lists them (message, name, size, "
        "type, sha256), `attachments save N` writes them to files.",
    ),
    "untag": ("ticketcli.commands.tags:untag_cmd", "Take the tags TAG..."),
    "watch": (
        "ticketcli.commands.watch:watch_cmd",
        "LOGIN watches the tickets N...: told when the customer writes, as the "
        "assignee is ([notifications] agent_on_customer_mail).",
    ),
    "unwatch": (
        "ticketcli.commands.watch:unwatch_cmd",
        "LOGIN stops watching the tickets N...",
    ),
    "search": (
        "ticketcli.commands.search:search_cmd",
        "Find tickets by the words in their subjects, bodies, senders, attachment "
        "names and notes; best match first.",
    ),
    "reply": (
        "ticketcli.commands.reply:reply_cmd",
        "Answer ticket NUMBER's customer: to the requester and the thread's other "
        "customer-side participants, with the ticket's token in the subject, threaded"
        " under their last mail, kept on the ticket as our answer.",
    ),
    "templates": (
        "ticketcli.commands.reply:templates_cmd",
        "The canned answers `reply --template` uses ([templates] dir).",
    ),
    "report": (
        "ticketcli.commands.report:report_cmd",
        "Active tickets: age (calendar time since the first mail), customer, "
        "subject, assignee, vs (the messages on the ticket, both ways), who wrote "
        "last (→ we answered, ← the customer waits), REOPENED, OVERDUE and AWAY "
        "marks.",
    ),
    "stats": (
        "ticketcli.commands.stats:stats_cmd",
        "Tickets created, closed, reopened and open at the period's end; first "
        "response time (average, median, 90th percentile, share within the goal) and "
        "resolution time (median, 90th percentile), goal breaches, replies per ticket"
        " -- overall or per group with --by.",
    ),
    "customers": (
        "ticketcli.commands.customers:customers_cmd",
        "Customer records: names, codes, addresses and domains.",
    ),
    "quarantine": (
        "ticketcli.commands.quarantine:quarantine_cmd",
        "Mail that could not be parsed: kept with its bytes and the reason.",
    ),
    "noise": (
        "ticketcli.commands.noise:noise_cmd",
        "Auto-replies, bounces and bulk mail: kept, never tickets.",
    ),
    "escalate": (
        "ticketcli.commands.escalate:escalate_cmd",
        "Warn the assignee (or [escalation] to, for the pool) of a first-response "
        "or resolution goal about to be missed, and tell them once it was.",
    ),
    "outbox": (
        "ticketcli.commands.outbox:outbox_cmd",
        "Mail ticketcli sends (acknowledgements, notices, replies): sync sends it; "
        "what could not be sent waits here.",
    ),
    "init": (
        "ticketcli.commands.store:init_cmd",
        "Create the store's tables (sync, import, copy and restore do too).",
    ),
    "migrate": (
        "ticketcli.commands.store:migrate_cmd",
        "Bring the store's schema up to this version of ticketcli.",
    ),
    "copy": (
        "ticketcli.commands.store:copy_cmd",
        "Copy a whole store into a new, empty one (SQLite to PostgreSQL, or back).",
    ),
    "backup": (
        "ticketcli.commands.backup:backup_cmd",
        "Write everything in the store to PATH (- for stdout), to restore later.",
    ),
    "restore": (
        "ticketcli.commands.backup:restore_cmd",
        "Fill a new, empty store (--db or [database] url) from a backup.",
    ),
}
