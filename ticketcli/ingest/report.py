"""What a run did: its counts and the lines it has for stderr."""

from __future__ import annotations

from dataclasses import dataclass, field

STORED = "stored"
DUPLICATE = "duplicate"
QUARANTINED = "quarantined"


@dataclass
class SyncReport:
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    # Messages a bug met (quarantined too, and counted there): the run exits 4.
    internal_errors: int = 0
    # `quarantine retry`: entries read again, and how many of them stored.
    tried: int = 0
    stored_again: int = 0
    tickets_created: int = 0
    reopened: int = 0
    noise: int = 0
    acknowledged: int = 0
    failed_sources: list[str] = field(default_factory=list)
    # Trouble that is no failure of the run (an acknowledgement's template
    # cannot be rendered, an agent given a ticket cannot be told): one line
    # each for stderr.
    notices: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        if outcome == STORED:
            self.stored += 1
        elif outcome == DUPLICATE:
            self.duplicates += 1
        elif outcome == QUARANTINED:
            self.quarantined += 1
