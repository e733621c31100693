"""The ``ticketcli`` command: global options, the command list, exit codes."""

from __future__ import annotations

import errno
import gc
import logging
import sys
import traceback
from gettext import gettext as _
from typing import IO, Any

import click

from ticketcli import lazy
from ticketcli.commands import COMMANDS
from ticketcli.context import App
from ticketcli.errors import EXIT_BUG, ConfigError, TicketcliError
from ticketcli.render.safe import visible
from ticketcli.version import __version__

# What ``main`` needs only once a store has failed, loaded then: the module
# brings peewee, which ``--help`` and a usage error need not load.
_STORE_DB = "ticketcli.store.db"


class _StderrHandler(logging.Handler):
    """Log lines go wherever click's stderr is now (a terminal, cron, a test)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(visible(self.format(record)), err=True)


def _setup_logging(verbose: int) -> None:
    logger = logging.getLogger("ticketcli")
    logger.setLevel({0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG))
    logger.propagate = False
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)


class _Reported(click.ClickException):
    """A ``TicketcliError`` as click reports it: its own line, its exit code."""

    def __init__(self, error: TicketcliError) -> None:
        super().__init__(error.message)
        self.error = error
        self.exit_code = error.exit_code

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(visible(self.error.line()), file=file, err=True)


class _OneLineUsage(click.UsageError):
    """Click's own usage error (an unknown option, a missing argument) as
    one line with the ``--help`` hint, like every other refusal, instead of
    click's usage block."""

    def __init__(self, error: click.UsageError) -> None:
        super().__init__(error.message, error.ctx)
        self.error = error

    def format_message(self) -> str:
        return self.error.format_message()

    def show(self, file: IO[Any] | None = None) -> None:
        names = []
        ctx = self.ctx
        while ctx is not None and ctx.parent is not None:
            names.append(ctx.info_name or "")
            ctx = ctx.parent
        path = " ".join(["ticketcli", *reversed(names)])
        line = f"Error: {self.format_message()} (see '{path} --help')"
        click.echo(visible(line), file=file, err=True)


class _Group(click.Group):
    """The command group, which reports the core's errors as click's own, so
    a command run through ``main`` or click's test runner fails the same.

    Its commands are the ``COMMANDS`` table of ``ticketcli.commands``: a
    command's module is imported when the command is asked for (click's
    documented lazy-group pattern), so ``ticketcli report`` does not load
    the code of sync, reply and the outbox, and ``ticketcli --help`` lists
    the table's one-line help without loading any.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            command = lazy.load(COMMANDS[cmd_name][0])
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise TypeError(f"COMMANDS[{cmd_name!r}] is not that command")
            self.add_command(command)
        return self.commands.get(cmd_name)

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        """Click's own list of commands, each shortened as click shortens it;
        a command not loaded yet is described by its line in the table,
        which ``click.Command`` shortens the same way as the real help."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:  # not loaded: its line in the table
                command = click.Command(name, help=COMMANDS[name][1])
            if not command.hidden:
                rows.append((name, command))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in rows)
        with formatter.section(_("Commands")):
            formatter.write_dl(
                [(name, command.get_short_help_str(limit)) for name, command in rows]
            )

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _one_line(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TicketcliError as exc:
            raise _Reported(exc) from exc
        except click.UsageError as exc:
            raise _one_line(exc) from exc


def _one_line(exc: click.UsageError) -> click.UsageError:
    return exc if isinstance(exc, _OneLineUsage) else _OneLineUsage(exc)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Config file (default: $TICKETCLI_CONFIG, then "
    "~/.config/ticketcli/config.toml).",
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Store URL: sqlite:///path or postgresql://user@host:port/db.",
)
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv: debug).")
@click.version_option(__version__, prog_name="ticketcli")
@click.pass_context
def cli(
    ctx: click.Context, config_path: str | None, db_url: str | None, verbose: int
) -> None:
    """An email helpdesk for small support teams, for the shell and cron."""
    _setup_logging(verbose)
    if db_url is not None and not db_url.startswith(
        ("sqlite:", "postgresql:", "postgres:")
    ):
        raise ConfigError(f"--db: {db_url!r} is not a sqlite:/// or postgresql:// URL")
    app = App(config_path=config_path, db_url=db_url, verbose=verbose)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; only here does ticketcli decide how to exit."""
    try:
        code = cli.main(args=argv, prog_name="ticketcli", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:  # a TicketcliError is _Reported
        exc.show()
        sys.exit(exc.exit_code)
    except TicketcliError as exc:  # raised before a command ran (cli's options)
        click.echo(visible(exc.line()), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.stderr.close()  # `ticketcli export | head` is not an error
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            sys.exit(0)
        _bug(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if isinstance(exc, _store_errors()):
            _store_failed(exc)
        _bug(exc)
    sys.exit(code if isinstance(code, int) else 0)


def run() -> None:
    """The process's entry point (the console script, ``python -m``):
    ``main``, then an exit without the interpreter's last full collection.

    At exit CPython runs the cyclic collector over everything still alive
    -- click, peewee, the models, the command's modules: ~10 ms of a 90 ms
    ``report`` (issue 18). ``gc.freeze()`` moves them where it does not
    look; they are still freed as the modules are torn down. Nothing is
    lost: what only that collection would finalize, Python does not promise
    to finalize at exit, and ticketcli closes its store, files, locks and
    workers itself (``with`` blocks, ``App.close``) before ``main`` returns.
    Here, not in ``main``: tests call ``main`` in a process that lives on.
    """
    try:
        main()
    finally:
        gc.freeze()


def _store_errors() -> tuple[type[BaseException], ...]:
    """peewee's errors for a store that went away or refused; none while
    peewee is not loaded, for then no store was opened to raise them."""
    peewee = sys.modules.get("peewee")
    return (peewee.OperationalError, peewee.InterfaceError) if peewee else ()


def _store_failed(exc: BaseException) -> None:
    """A runtime failure, not a bug: the first error, not "cannot rollback"
    after a full disk."""
    if logging.getLogger("ticketcli").isEnabledFor(logging.DEBUG):
        traceback.print_exc()
    db = lazy.load(_STORE_DB)
    text = db.describe_store_failure(exc)
    if not db.is_disk_full(exc):
        text = f"the store failed: {text}"
    click.echo(visible(f"Error: {text}"), err=True)
    sys.exit(1)


def _bug(exc: BaseException) -> None:
    if logging.getLogger("ticketcli").isEnabledFor(logging.DEBUG):
        traceback.print_exc()
    click.echo(
        f"Error: internal error: {type(exc).__name__}: {visible(str(exc))}\n"
        f"This is a bug in ticketcli {__version__}; please report it with "
        "the command you ran (-vv shows the traceback).",
        err=True,
    )
    sys.exit(EXIT_BUG)


__all__ = ["cli", "main"]
