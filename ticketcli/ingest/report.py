"""What a run did: its counts and the lines it has for stderr."""

from __future__ import annotations

STORED = "stored"
DUPLICATE = "duplicate"
QUARANTINED = "quarantined"


class SyncReport:
    """What one run did. A plain class: every sync makes one, the one that
    finds nothing too, and a dataclass costs ~0.5 ms to define (issue 18)."""

    def __init__(self) -> None:
        self.stored = 0
        self.duplicates = 0
        self.quarantined = 0
        # Messages a bug met (quarantined too, and counted there): the run exits 4.
        self.internal_errors = 0
        # `quarantine retry`: entries read again, and how many of them stored.
        self.tried = 0
        self.stored_again = 0
        self.tickets_created = 0
        self.reopened = 0
        self.noise = 0
        self.acknowledged = 0
        self.failed_sources: list[str] = []
        # Trouble that is no failure of the run (an acknowledgement's template
        # cannot be rendered, an agent given a ticket cannot be told): one line
        # each for stderr.
        self.notices: list[str] = []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SyncReport) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"SyncReport({vars(self)})"

    def count(self, outcome: str) -> None:
        if outcome == STORED:
            self.stored += 1
        elif outcome == DUPLICATE:
            self.duplicates += 1
        elif outcome == QUARANTINED:
            self.quarantined += 1
