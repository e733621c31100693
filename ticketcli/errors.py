"""Every error ticketcli reports on purpose, each with its exit code.

The core raises these; ``cli.py`` turns them into one line on stderr and
the exit code. Anything else that escapes is a bug (exit 4). They know
nothing of click, so the layers below the command line raise them freely.
"""

from __future__ import annotations

EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_BUG = 4
# sysexits.h: "try again later". Postfix, Exim and sendmail keep a piped mail
# queued on it and retry; any other non-zero code bounces it to the sender.
EX_TEMPFAIL = 75


class TicketcliError(Exception):
    """A failure at run time: a server is down, the store is locked."""

    exit_code = EXIT_RUNTIME

    def __init__(self, message: str, **values: object) -> None:
        # ``message`` may be a msgid whose %(name)s placeholders ``values``
        # fill: `stats` and `report` translate ``template`` into the reader's
        # language (render.language) where the layer raising it cannot.
        self.template, self.values = message, values
        text = message % values if values else message
        super().__init__(text)
        self.message = text

    def line(self) -> str:
        """The one line on stderr that tells what went wrong."""
        return f"Error: {self.message}"


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


class StoreUnavailableError(TicketcliError):
    """The store cannot be opened: the server is down or refuses us, the
    SQLite file or its directory cannot be read, written or created."""


class MailNotStoredError(TicketcliError):
    """``import -`` behind an MTA: the mail was not stored, for a reason that
    may pass (the lock, a full disk, the store down, the config being
    edited). Exit 75 (EX_TEMPFAIL) keeps the mail in the MTA's queue."""

    exit_code = EX_TEMPFAIL

    def __init__(self, reason: str) -> None:
        super().__init__(f"mail not stored, the MTA should retry: {reason}")

    def line(self) -> str:
        # "ticketcli: ...", not "Error: ...": the MTA logs this line with the
        # deferral, and it is no error of the sender's.
        return f"ticketcli: {self.message}"


class SourceError(TicketcliError):
    """A mail source failed (unreadable path, server down, login refused).

    The message must never contain a secret.
    """


class MessagesHitBugError(TicketcliError):
    """A bug met some messages: they wait whole in quarantine, the rest of the
    mail was stored. Exit 4, so cron mails the line to someone who reports it."""

    exit_code = EXIT_BUG


class PartialFailureError(TicketcliError):
    """Some sources failed while the others ran."""

    exit_code = EXIT_PARTIAL


class MailParseError(Exception):
    """A message cannot be read at all; it goes to quarantine with this reason.

    Not a ``TicketcliError``: quarantine is not a failure of the run.
    """
