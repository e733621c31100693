"""Every error ticketcli reports on purpose, each with its exit code.

The core raises these; ``cli.main`` turns them into one line on stderr and
the exit code. Anything else that escapes is a bug (exit 4).
"""

from __future__ import annotations

import click

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_BUG = 4


class TicketcliError(click.ClickException):
    """A failure at run time: a server is down, the store is locked."""

    exit_code = EXIT_RUNTIME


class ConfigError(TicketcliError):
    """The configuration file or a setting in it is wrong."""

    exit_code = EXIT_USAGE


class UsageError(TicketcliError):
    """Arguments that cannot work: unknown ticket, bad date, ..."""

    exit_code = EXIT_USAGE


class NotFoundError(UsageError):
    """A ticket, agent or customer named on the command line does not exist."""


class StoreLockedError(TicketcliError):
    """Another sync holds the lock."""


class SourceError(TicketcliError):
    """A mail source failed (unreadable path, server down, login refused).

    The message must never contain a secret.
    """


class PartialFailureError(TicketcliError):
    """Some sources failed while the others ran."""

    exit_code = EXIT_PARTIAL


class MailParseError(Exception):
    """A message cannot be read at all; it goes to quarantine with this reason.

    Not a ``TicketcliError``: quarantine is not a failure of the run.
    """
