"""The 'escalate' command: [escalation]'s notices now, without a sync."""

from __future__ import annotations

import logging

import click

from ticketcli.clock import now
from ticketcli.context import App, pass_app
from ticketcli.desk.escalations import GOAL_NAMES, describe, run
from ticketcli.errors import ConfigError
from ticketcli.render.output import echo_text, emit, notes, output_options
from ticketcli.render.times import display_zone, localised, zone_line

log = logging.getLogger(__name__)

COLUMNS = ("ticket", "goal", "kind", "due_at", "to", "assignee")


@click.command("escalate")
@click.option(
    "--dry-run", is_flag=True, help="List the notices due now; queue and send none."
)
@output_options
@pass_app
def escalate_cmd(app: App, dry_run: bool, fmt: str) -> None:
    """Warn the assignee (or [escalation] to, for the pool) of a first-response
    or resolution goal about to be missed, and tell them once it was.

    Sync does this after every run; each notice goes once per ticket, goal
    and kind, in opening hours only. Silent when all went well (-v lists
    what was sent); --dry-run lists what would be sent now.
    """
    config = app.config
    if not config.escalation.enabled:
        raise ConfigError(
            "escalation: off; add an [escalation] table (with [goals]) to the config"
        )
    app.open_store()
    done, problem = run(config, now(), dry_run=dry_run)
    notices = done.notices
    if dry_run:
        rows = [
            {
                "ticket": n.number,
                "goal": GOAL_NAMES[n.goal],
                "kind": n.kind,
                "due_at": n.deadline.replace(tzinfo=None),
                "to": n.to,
                "assignee": n.assignee,
            }
            for n in notices
        ]
        if fmt == "table":
            zone = display_zone(config)
            echo_text(zone_line(zone))
            rows = list(localised(rows, zone))
        emit(rows, COLUMNS, fmt)
        return
    for notice in notices:
        log.info("escalation: %s", describe(notice))
    notes([*done.warnings, *([problem] if problem else [])])
