"""Bytes -> ParsedMail: decoded headers, body text, attachments, hashes; pure.

The message is parsed once with the stdlib parser under ``compat32``. That
policy keeps header values as raw strings and builds no structured header
objects, which is where most of ``policy.default``'s time goes; it also
survives the inputs that make ``policy.default`` raise (an RFC 2231
``iso-2022-jp`` filename at parse time, ``To: unlisted-recipients:;`` on
access). The few headers ticketcli needs are decoded by small functions
that never raise: unknown charsets, bad dates and broken encodings become
entries in ``defects`` instead of exceptions. Only input that is not a mail
at all raises ``MailParseError``, so the pipeline can quarantine it. The
work per message is bounded: past a cap the rest is left out of what is
read, and ``defects`` names the cap.

One module per job, each importing only those above it in this list:

* ``charsets``: bytes in a declared or undeclared charset -> text;
* ``headers``: raw header fields, RFC 2047 words, addresses, ids, dates;
* ``html_text``: an HTML body -> plain text;
* ``bounds``: the caps on the work one message may cost, and why;
* ``scan``: reading a message within those caps (the skeleton the stdlib
  parses, and the placeholders read back from the raw bytes);
* ``digest``: the content hash that recognises a second delivery;
* ``bodies``: a leaf part's payload bytes and the body's text;
* ``attachments``: which parts are attachments, their safe names;
* ``walk``: ``parse_message``, the MIME walk that builds ``ParsedMail``.

Import the names below from here; the modules are the package's insides.
"""

from __future__ import annotations

from ticketcli.mail.parse.attachments import sanitize_filename
from ticketcli.mail.parse.charsets import decode_text
from ticketcli.mail.parse.headers import decode_header_words
from ticketcli.mail.parse.html_text import html_to_text
from ticketcli.mail.parse.walk import parse_message

__all__ = [
    "decode_header_words",
    "decode_text",
    "html_to_text",
    "parse_message",
    "sanitize_filename",
]
