"""The ``ticketcli`` command: global options, the command list, exit codes."""

from __future__ import annotations

import errno
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click
from peewee import InterfaceError, OperationalError

from ticketcli import __version__
from ticketcli.config import Config, load_config
from ticketcli.errors import EXIT_BUG, ConfigError, TicketcliError

if TYPE_CHECKING:
    from peewee import Database


@dataclass
class App:
    """What every command gets: the settings and (opened on first use) the store."""

    config_path: str | None
    db_url: str | None
    verbose: int
    _config: Config | None = None
    _db: Database | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def database_url(self) -> str:
        return self.db_url or self.config.database_url

    @property
    def db(self) -> Database:
        if self._db is None:
            from ticketcli.secrets import read_secret
            from ticketcli.store.db import connect

            password = None
            if self.config.database_password.configured:
                password = read_secret(self.config.database_password, "database")
            self._db = connect(self.database_url, password)
        return self._db

    def actor(self, as_login: str | None = None) -> str:
        """Who acts: --as, then $TICKETCLI_USER, then the OS user."""
        if as_login:
            return as_login
        import getpass

        return os.environ.get("TICKETCLI_USER") or getpass.getuser()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


pass_app = click.make_pass_decorator(App)

# Who acts, on every command that records it in a ticket's history.
as_option = click.option(
    "--as",
    "as_login",
    metavar="LOGIN",
    help="Who acts (default: $TICKETCLI_USER, then the OS user).",
)


class _StderrHandler(logging.Handler):
    """Log lines go wherever click's stderr is now (a terminal, cron, a test)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def _setup_logging(verbose: int) -> None:
    logger = logging.getLogger("ticketcli")
    logger.setLevel({0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG))
    logger.propagate = False
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _register() -> None:
    from ticketcli.commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; only here does ticketcli decide how to exit."""
    try:
        code = cli.main(args=argv, prog_name="ticketcli", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:  # TicketcliError is one
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (OperationalError, InterfaceError) as exc:
        # The store went away or refused: a runtime failure, not a bug.
        if logging.getLogger("ticketcli").isEnabledFor(logging.DEBUG):
            import traceback

            traceback.print_exc()
        # The first error, not "cannot rollback" after a full disk.
        from ticketcli.store.db import describe_store_failure, is_disk_full

        text = describe_store_failure(exc)
        if not is_disk_full(exc):
            text = f"the store failed: {text}"
        click.echo(f"Error: {text}", err=True)
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
    import traceback

    if logging.getLogger("ticketcli").isEnabledFor(logging.DEBUG):
        traceback.print_exc()
    click.echo(
        f"Error: internal error: {type(exc).__name__}: {exc}\n"
        f"This is a bug in ticketcli {__version__}; please report it with "
        "the command you ran (-vv shows the traceback).",
        err=True,
    )
    sys.exit(EXIT_BUG)


__all__ = ["App", "TicketcliError", "cli", "main", "pass_app"]
