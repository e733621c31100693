"""Every real-world message that broke other mail software: stored or quarantined.

None may crash a sync, each quarantined one carries a reason, and a second
sync of the same files stores nothing new.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from click.testing import CliRunner

from tests.conftest import CORPUS, need_corpus
from ticketcli.cli import cli

if TYPE_CHECKING:
    from pathlib import Path


def _corpus_files() -> list[Path]:
    need_corpus()
    return sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in ("MANIFEST.md", "index.tsv")
    )


def test_corpus_every_file_stored_or_quarantined(tmp_path: Path) -> None:
    files = _corpus_files()
    runner = CliRunner()
    base = ["--db", f"sqlite:///{tmp_path / 'store.db'}"]
    # One source per file, so each file's fate can be checked by its key.
    result = runner.invoke(
        cli,
        [*base, "sync", *sum((["--source", str(f)] for f in files), [])],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""

    quarantined = json.loads(
        runner.invoke(cli, [*base, "quarantine", "list", "--format", "json"]).stdout
    )
    assert all(q["reason"].strip() for q in quarantined)
    if quarantined:
        assert f"{len(quarantined)} message(s) quarantined" in result.stderr
    else:
        assert result.stderr == ""

    from ticketcli.store.db import connect
    from ticketcli.store.models import Delivery, Message, Quarantine, bind_models

    db = connect(base[1])
    with bind_models(db):
        delivered_sources = {d.source for d in Delivery.select(Delivery.source)}
        stored, kept = Message.select().count(), Quarantine.select().count()
    for path in files:
        assert any(s.endswith(str(path)) for s in delivered_sources), path
    assert stored + kept >= len(files)
    db.close()

    again = runner.invoke(
        cli,
        [*base, "sync", *sum((["--source", str(f)] for f in files), [])],
        catch_exceptions=False,
    )
    assert again.exit_code == 0
    assert again.stdout == ""
    assert again.stderr == ""
    db = connect(base[1])
    with bind_models(db):
        counts = (Message.select().count(), Quarantine.select().count())
    assert counts == (stored, kept)
    db.close()
