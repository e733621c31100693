"""The ``ticketcli`` command: global options, the command list, exit codes."""

from __future__ import annotations

import errno
import importlib
import logging
import sys
import traceback
from typing import IO, Any

import click
from peewee import InterfaceError, OperationalError

from ticketcli.commands import COMMANDS
from ticketcli.context import App
from ticketcli.errors import EXIT_BUG, ConfigError, TicketcliError
from ticketcli.render.output import visible
from ticketcli.store.db import describe_store_failure, is_disk_full
from ticketcli.version import __version__


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
    the code of sync, reply and the outbox.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, _, attribute = COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise TypeError(f"COMMANDS[{cmd_name!r}] is not that command")
            self.add_command(command)
        return self.commands.get(cmd_name)

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
    except (OperationalError, InterfaceError) as exc:
        # The store went away or refused: a runtime failure, not a bug.
        if logging.getLogger("ticketcli").isEnabledFor(logging.DEBUG):
            traceback.print_exc()
        # The first error, not "cannot rollback" after a full disk.
        text = describe_store_failure(exc)
        if not is_disk_full(exc):
            text = f"the store failed: {text}"
        click.echo(visible(f"Error: {text}"), err=True)
        sys.exit(1)
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
        _bug(exc)
    sys.exit(code if isinstance(code, int) else 0)


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
