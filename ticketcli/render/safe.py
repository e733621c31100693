"""Text from a stranger's mail made safe to show a person (``render.output``
says why); its own module because the command line needs it for every
error line, and a command that prints nothing else need not load output.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (U+0080..U+009F: CSI,
# OSC, ST ... which a terminal obeys like ESC sequences), and the Unicode
# bidi controls that reorder what is shown (embeddings, overrides,
# isolates, marks, the Arabic letter mark).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def visible(text: str) -> str:
    """Text safe to print for a person: each control or bidi override shown
    as its escape (``\\x1b``, ``\\x9b``, ``\\u202e``) instead of being obeyed;
    tab and newline stay."""
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
