"""Every wrong input is one line on stderr and an exit code, and the store
stays as it was (issue 19): one test per mistake a new user makes, and one
table that runs every command with hostile arguments."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from typing import TYPE_CHECKING, Any

import click
import pytest

from tests.helpers import Desk, MailDesk, eml
from ticketcli.cli import cli

if TYPE_CHECKING:
    from pathlib import Path

    from tests.servers.smtp import SmtpServer


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare a store before and after."""
    con = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"'))) for t in tables
        }
    finally:
        con.close()


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    desk = Desk(tmp_path)
    desk.deliver(eml("<a@kund.ee>"))
    for args in (
        (
            "agents",
            "add",
            "kadri",
            "--name",
            "Kadri",
            "--email",
            "kadri@acme-help.example",
        ),
        ("customers", "add", "Acme 100%", "--code", "ACME", "--email", "mari@kund.ee"),
        ("customers", "add", "Nowak", "--code", "NOWAK1"),
        ("customers", "add", "nowak", "--code", "NOWAK2"),
        ("customer", "1", "ACME"),
    ):
        result = desk.run(*args)
        assert result.exit_code == 0, result.stderr
    return desk


def refused(desk: Desk, *args: str, code: int = 2) -> str:
    """Run a command that must fail: its one stderr line; nothing changed."""
    before = dump(desk.tmp / "store.db")
    result = desk.run(*args)
    after = dump(desk.tmp / "store.db")
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert after == before
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "args",
    [
        ("show", HUGE),
        ("close", HUGE),
        ("assign", HUGE, "kadri"),
        ("note", HUGE, "x"),
        ("merge", HUGE, "into", "1"),
        ("merge", "1", "into", HUGE),
    ],
    ids=["show", "close", "assign", "note", "merge", "merge-into"],
)
def test_a_number_no_store_can_hold_is_one_line(
    desk: Desk, args: tuple[str, ...]
) -> None:
    line = refused(desk, *args)
    assert line.endswith(f"{HUGE!r} is too large for a ticket number"), line


def test_an_unknown_agent_or_customer_in_a_filter_is_no_empty_queue(desk: Desk) -> None:
    assert refused(desk, "report", "--assignee", "nobody") == (
        "Error: agent 'nobody' does not exist (see `agents list`)"
    )
    assert refused(desk, "report", "--customer", "NOSUCH") == (
        "Error: customer 'NOSUCH' does not exist (see `customers list`)"
    )
    assert refused(desk, "report", "--as", "stranger") == (
        "Error: 'stranger' is not an agent, so there is no queue of yours: use"
        " --as LOGIN, set $TICKETCLI_USER, or --assignee none for the pool"
    )
    found = desk.run("report", "--customer", "acme", "--format", "json")
    assert found.exit_code == 0, found.stderr
    assert [t["customer"] for t in json.loads(found.stdout)] == ["ACME"]


def test_only_the_commands_that_bring_a_store_in_create_one(tmp_path: Path) -> None:
    runner = click.testing.CliRunner()
    missing = tmp_path / "nonexistent" / "dir" / "x.db"
    for args in (
        ("report",),
        ("show", "1"),
        ("export",),
        ("migrate",),
        ("agents", "list"),
    ):
        result = runner.invoke(cli, ["--db", f"sqlite:///{missing}", *args])
        assert (result.exit_code, result.stderr) == (
            2,
            f"Error: no store at {missing} (run `ticketcli init` or check --db)\n",
        ), args
        assert not missing.parent.exists()
    config = tmp_path / "c.toml"
    config.write_text('[smtp]\nhost = "127.0.0.1"\nport = 9\n', encoding="utf-8")
    checked = runner.invoke(
        cli, ["--config", str(config), "--db", f"sqlite:///{missing}", "check"]
    )
    assert "Traceback" not in checked.stderr
    assert not missing.parent.exists()
    made = runner.invoke(cli, ["--db", f"sqlite:///{missing}", "init"])
    assert made.exit_code == 0, made.stderr
    assert missing.exists()


def test_a_customer_is_named_exactly_never_by_pattern(desk: Desk) -> None:
    assert refused(desk, "customer", "1", "%") == (
        "Error: customer '%' does not exist (see `customers list`)"
    )
    assert refused(desk, "customers", "show", "%") == (
        "Error: customer '%' does not exist (see `customers list`)"
    )
    assert refused(desk, "customers", "show", "Acme _00%") == (
        "Error: customer 'Acme _00%' does not exist (see `customers list`)"
    )
    assert refused(desk, "customer", "1", "NOWAK") == (
        "Error: customer 'NOWAK' is ambiguous: NOWAK1 'Nowak', NOWAK2 'nowak';"
        " use the code"
    )
    shown = desk.run("customers", "show", "ACME 100%", "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    assert '"code": "ACME"' in shown.stdout


@pytest.mark.parametrize(
    "given",
    ["Jüri Õun <juri@example.org>", '"Jüri Õun" <juri@example.org>'],
)
def test_a_display_name_in_any_letters_is_accepted(desk: Desk, given: str) -> None:
    made = desk.run("new", "--from", given, "--subject", "Helistas", "--message", "x")
    assert made.exit_code == 0, made.stderr
    shown = desk.run("show", "2", "--format", "json")
    ticket = json.loads(shown.stdout)
    assert ticket["requester"] == "juri@example.org"
    assert ticket["messages"][0]["from_name"] == "Jüri Õun"


def test_a_name_with_brackets_is_read_as_mail_clients_read_it(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    mail = eml("<b@acme.ee>").replace(
        b"From: Mari Maasikas <mari@kund.ee>", b"From: Mari Tamm [ACME] <mari@acme.ee>"
    )
    desk.deliver(mail)
    ticket = json.loads(desk.run("show", "1", "--format", "json").stdout)
    assert ticket["requester"] == "mari@acme.ee"
    assert ticket["messages"][0]["from_name"] == "Mari Tamm [ACME]"


def test_a_non_ascii_address_costs_only_its_own_copy(desk: Desk) -> None:
    made = desk.run("new", "--from", "jüri@exämple.ee", "--subject", "Helistas")
    assert made.exit_code == 0, made.stderr
    idn = desk.run("new", "--from", "Mari <mari@exämple.ee>", "--subject", "IDN")
    assert idn.exit_code == 0, idn.stderr
    answered = desk.run(
        "reply", "2", "--message", "Tere", "--cc", "mari@kund.ee", "--dry-run"
    )
    assert answered.exit_code == 0, answered.stderr
    assert answered.stderr == (
        "left out jüri@exämple.ee: its local part is not ASCII, and the SMTP"
        " server does not offer SMTPUTF8 (answer them from your mail client)\n"
    )
    assert "To: mari@kund.ee\n" in answered.stdout
    assert refused(desk, "reply", "2", "--message", "Tere", "--dry-run") == (
        "Error: cannot reply to jüri@exämple.ee: its local part is not ASCII,"
        " and the SMTP server does not offer SMTPUTF8; answer from your mail client"
    )
    a_labels = desk.run("reply", "3", "--message", "Tere", "--dry-run")
    assert a_labels.exit_code == 0, a_labels.stderr
    assert "To: mari@xn--exmple-cua.ee\n" in a_labels.stdout


@pytest.mark.parametrize("offered", [True, False], ids=["smtputf8", "ascii-only"])
def test_a_non_ascii_local_part_goes_with_smtputf8_when_offered(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch, offered: bool
) -> None:
    monkeypatch.setitem(smtp._controller.SMTP_kwargs, "enable_SMTPUTF8", offered)
    desk = MailDesk(tmp_path, smtp)
    assert desk.run("init").exit_code == 0
    made = desk.run("new", "--from", "Jüri Õun <jüri@exämple.ee>", "--subject", "Tere")
    assert made.exit_code == 0, made.stderr
    answered = desk.run("reply", "1", "--message", "Tere", "--cc", "mari@kund.ee")
    assert answered.exit_code == 0, answered.stderr
    [mail] = smtp.wait_for(1)
    if offered:
        assert answered.stderr == ""
        assert sorted(mail.rcpt_tos) == ["jüri@xn--exmple-cua.ee", "mari@kund.ee"]
        assert "jüri@xn--exmple-cua.ee" in mail.message["To"]
    else:
        assert answered.stderr == (
            "left out jüri@exämple.ee: its local part is not ASCII, and the SMTP"
            " server does not offer SMTPUTF8 (answer them from your mail client)\n"
        )
        assert list(mail.rcpt_tos) == ["mari@kund.ee"]


def test_attach_takes_regular_files_only(desk: Desk, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    base = ("reply", "1", "--message", "x", "--dry-run")
    assert refused(desk, *base, "--attach", "/dev/zero") == (
        "Error: --attach: /dev/zero is not a regular file"
    )
    assert refused(desk, *base, "--attach", str(fifo)) == (
        f"Error: --attach: {fifo} is not a regular file"
    )
    assert refused(desk, *base, "--attach", str(tmp_path)) == (
        f"Error: --attach: {tmp_path} is a folder, not a file"
    )


def test_a_password_in_the_config_files_url_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    for url in (
        "postgresql://u:SECRET@127.0.0.1/db",
        "postgresql://u@127.0.0.1/db?password=SECRET",
    ):
        config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
        result = click.testing.CliRunner().invoke(
            cli, ["--config", str(config), "report"]
        )
        assert (result.exit_code, result.stderr) == (
            2,
            f"Error: {config}: database.url: passwords are never read from the config;"
            " remove it from the URL and use password_env, password_file or"
            " password_command\n",
        )
        assert "SECRET" not in result.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("show",), "Error: Missing argument 'NUMBER'. (see 'ticketcli show --help')"),
        (
            ("show", "1", "--bogus"),
            "Error: No such option '--bogus'. (see 'ticketcli show --help')",
        ),
        (("nosuch",), "Error: No such command 'nosuch'. (see 'ticketcli --help')"),
        (("--zzz",), "Error: No such option '--zzz'. (see 'ticketcli --help')"),
        (
            # `report`'s choices refuse in the reader's language instead
            # (tests/cli/test_errors_in_estonian.py).
            ("set", "1", "--priority", "x"),
            "Error: Invalid value for '--priority': 'x' is not one of 'low',"
            " 'normal', 'high', 'urgent'. (see 'ticketcli set --help')",
        ),
    ],
    ids=["missing", "option", "command", "group-option", "choice"],
)
def test_clicks_usage_errors_are_one_line(
    desk: Desk, args: tuple[str, ...], line: str
) -> None:
    assert refused(desk, *args) == line


def test_the_pinned_clock_is_the_received_time_of_a_file(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    undated = eml("<u@kund.ee>").replace(
        b"Date: Mon, 02 Mar 2026 10:00:00 +0200\r\n", b""
    )
    os.environ["TICKETCLI_NOW"] = "2026-11-20T07:00:00+02:00"
    try:
        desk.deliver(undated)
    finally:
        del os.environ["TICKETCLI_NOW"]
    [message] = json.loads(desk.run("show", "1", "--format", "json").stdout)["messages"]
    assert message["date"] == "2026-11-20T05:00:00Z"


# --- every command, hostile arguments ---------------------------------------

HOSTILE = [HUGE, "", "%", "*", "'", "a\x00b", "x" * 10_000, "Jüri Õun ☃", "-1"]


def leaves(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command of the group, subcommands as paths ('customers', 'show')."""
    found = []
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found.extend(leaves(command, (*path, name)))
        else:
            found.append((*path, name))
    return found


COMMANDS = leaves(cli)


def test_every_command_is_in_the_table() -> None:
    assert ("show",) in COMMANDS
    assert ("customers", "show") in COMMANDS
    assert len(COMMANDS) > 30


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_survives_hostile_arguments(
    tmp_path: Path, path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # what a hostile FILE argument writes stays here
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.setenv("TICKETCLI_USER", "kadri")
    desk = Desk(tmp_path)
    desk.deliver(eml("<a@kund.ee>"))
    desk.run(
        "agents", "add", "kadri", "--name", "K", "--email", "kadri@acme-help.example"
    )
    command = cli
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    for value in HOSTILE:
        # The value in every argument, then as every option's value.
        shapes = [[value] * max(len(arguments), 1)]
        for option in command.params:
            if isinstance(option, click.Option) and not option.is_flag and option.opts:
                if option.name in ("config_path",):
                    continue
                filler = ["1"] * len(arguments)
                shapes.append([*filler, option.opts[-1], value])
        for shape in shapes:
            before = dump(tmp_path / "store.db")
            result = desk.runner.invoke(
                cli,
                ["--config", str(desk.config), "--db", desk.db, *path, *shape],
                input=b"",
            )
            said = f"{path} {shape[:3]!r}: {result.exit_code} {result.stderr[:300]}"
            assert "Traceback" not in result.stderr, said
            assert "internal error" not in result.stderr, said
            assert result.exit_code in (0, 1, 2, 3), said
            if isinstance(result.exception, SystemExit) and result.exit_code == 2:
                assert len(result.stderr.splitlines()) == 1, said
            if result.exit_code == 2:
                assert dump(tmp_path / "store.db") == before, said


# --- the first impression ---------------------------------------------------


def test_the_readmes_first_command_shows_threading_and_leaves_no_lock(
    tmp_path: Path,
) -> None:
    import re
    import shlex
    import subprocess
    import sys

    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```sh\n(.*?)\n```", readme, re.DOTALL)
    assert first is not None
    steps = first.group(1).split(" && ")
    assert steps[0] == "python3 -m pip install ."
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    shown = ""
    for step in steps[1:]:
        words = shlex.split(step.replace("sample/", f"{REPO}/sample/"))
        assert words[0] == "ticketcli"
        done = subprocess.run(
            [sys.executable, "-m", "ticketcli", *words[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (step, done.stderr)
        shown = done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "ticketcli-sample.db"]
    messages = [line for line in shown.splitlines() if line[:1] in ("←", "→")]
    assert len(messages) >= 5
    assert {line[0] for line in messages} == {"←", "→"}
    assert "customer:       Dąbopak S.A." in shown
    reasons = [line for line in shown.splitlines() if line.startswith("  why: ")]
    assert len(reasons) == len(messages)
    assert any("In-Reply-To names" in r for r in reasons)
    assert any("same subject and customer" in r for r in reasons)
