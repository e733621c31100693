"""The work one message may cost: the caps, and the error that cuts a message.

One mail must not hold the sync lock for long. The stdlib parser does Python
work for every line it reads, keeps every line of a body as a string until
the part ends (an 85 MB mail took 776 MB), and reads MIME parameters in
quadratic time: ``email.message._parseparam`` copies the rest of the header
once per parameter and counts quotes from its start once per ``;``, so a
3 MB Content-Type of 200,000 parameters took 40 s. ``scan`` therefore
reads the MIME structure first, as the stdlib will (its stack of boundaries,
blank lines in a report), with byte searches that run in C and see every
byte about once, and hands the stdlib a skeleton of the message:

* header blocks are trimmed to the caps below; what is past a cap is left
  out of the parse and a defect names the cap (``raw``, which is what is
  stored, keeps every byte);
* the message is cut at the part that goes past a cap on the whole message:
  the open multiparts are closed there and the rest is left out;
* a long run of body lines (a payload, a preamble, an epilogue) goes in as
  one placeholder line and is read back from ``raw`` when it is used, so the
  stdlib makes no list of its lines and no copy of it.

A message under every cap whose bodies are short reaches the stdlib byte for
byte; otherwise what is read back is what the stdlib would have read.

The caps live here, each with the reason for its value, so they can be read
(and changed) in one place; ``scan``, ``bodies`` and ``walk`` apply them.
"""

from __future__ import annotations

__all__ = [
    "HEADER_SCAN",
    "MAX_DEPTH",
    "MAX_HEADER_BLOCK",
    "MAX_HEADER_FIELDS",
    "MAX_HEADER_LENGTH",
    "MAX_HEADER_LINES",
    "MAX_HEADER_LINES_TOTAL",
    "MAX_HEADERS_TOTAL",
    "MAX_HTML",
    "MAX_HTML_TAGS",
    "MAX_MIME_PARAMETERS",
    "MAX_PARTS",
    "OverCapError",
]

# Deeper than this is an attack or a generator bug, not a mail a person wrote.
MAX_DEPTH = 64


# One header field, folding included: Exchange writes 43 KB index fields.
MAX_HEADER_LENGTH = 64 * 1024
# Parameters of one Content-Type or Content-Disposition field (real mail has
# a dozen at most). Every ``;`` counts, quoted or not, because the stdlib's
# cost is quadratic in both.
MAX_MIME_PARAMETERS = 100
# One header block (every part has one): real mail has under 150 fields and
# a few hundred lines; Message.get() reads every field of its block.
MAX_HEADER_FIELDS = 1000
MAX_HEADER_LINES = 10_000
MAX_HEADER_BLOCK = 256 * 1024
# How far into an over-cap header block a line that is no header line, or
# the end of an over-long field, is looked for: past it the lines up to the
# blank line are taken for header lines, and left out.
HEADER_SCAN = 4 * 1024 * 1024
# All header blocks of a message together: the stdlib's work per header line,
# and ticketcli's per header per part, stay far below a second.
MAX_HEADERS_TOTAL = 4 * 1024 * 1024
MAX_HEADER_LINES_TOTAL = 50_000
# Parts of a message: multipart children, attached messages, report blocks.
# The largest real one in the corpus has 330.
MAX_PARTS = 1000
# HTML read into body text: HTMLParser costs some 3 us per tag and text run,
# so a MB of bare tags takes over a second; real mail has a few thousand.
MAX_HTML = 1024 * 1024
MAX_HTML_TAGS = 50_000


class OverCapError(Exception):
    """A cap on the whole message is reached at ``at``: the rest is left out."""

    def __init__(self, at: int, defect: str, open_boundaries: list[bytes]) -> None:
        super().__init__(defect)
        self.at = at
        self.defect = defect
        self.open_boundaries = list(open_boundaries)
