"""Authentication-Results (RFC 8601): is a staff-address mail really staff?

Anyone can write ``From: kadri@our-domain``. What our own receiving server
found (DMARC, DKIM, SPF, an authenticated submission) it writes into an
``Authentication-Results`` header at the top of the mail, named by its
authserv-id. Only those headers count; one naming any other authserv-id was
written by someone else and says nothing (RFC 8601 section 7.1).

The rules, all pure:

* No trusted header at all: the mail did not come through our inbound path
  as far as we can tell (internal delivery, a local mbox, a test), so the
  staff address stands. The receiving server must therefore add the header
  to every inbound mail and strip copies of it that claim its authserv-id
  (RFC 8601 section 5).
* A method's result comes from the *topmost* trusted header that reports
  that method: the receiving server prepends its headers, so a forged copy
  further down never outvotes what our server found, even where the server
  does not strip forgeries.
* ``auth=pass`` (a submission our server authenticated) verifies, but only
  from the topmost trusted header: a server writes ``auth`` on submissions
  only, and an inbound mail's header without it must not be filled in from
  a forged one below.
* ``dmarc``: ``dmarc=pass`` with ``header.from`` = the sender's domain;
  ``dkim``: ``dkim=pass`` with ``header.d`` (or the domain of ``header.i``)
  equal to the sender's domain or a parent of it; ``spf``: ``spf=pass`` with
  the ``smtp.mailfrom`` domain = the sender's domain.

Parsing never raises: garbage gives headers with fewer (or no) results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence

POLICIES = ("dmarc", "dkim", "spf", "none")
# In ``authserv_ids``: trust headers that name no authserv-id at all, as
# Microsoft 365 writes them. Parentheses are a comment in RFC 8601, so no
# real authserv-id can be spelt like this.
NO_AUTHSERV_ID = "(none)"

# A header is read up to this length: a hostile one cannot cost more.
_MAX_HEADER = 16 * 1024
_MAX_RESULTS = 64
# Headers read per mail: ours are the topmost, so a flood below is noise.
_MAX_HEADERS = 32
_KEYWORD = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_PAIR = re.compile(
    r"""\s*([A-Za-z0-9][A-Za-z0-9_.\-/]*)\s*=\s*("(?:[^"\\]|\\.)*"?|[^\s"=]*)""",
    re.DOTALL,
)
# A header whose first segment starts "method=" names no authserv-id.
_RESULT_FIRST = re.compile(r"\s*[A-Za-z0-9][A-Za-z0-9_.\-/]*\s*=")
_AUTHSERV_ID = re.compile(r'("(?:[^"\\]|\\.)*"?|[^\s"]+)(?:\s+(\d{1,5})(?!\S))?')
_SAFE = re.compile(r"[^a-z0-9@._+-]")


@dataclass(frozen=True)
class Result:
    """One ``method=result`` with its ``reason`` and ``ptype.property`` values."""

    method: str  # lower case, without a method version: "dkim"
    result: str  # lower case: "pass", "fail", "none", ...
    reason: str = ""
    properties: tuple[tuple[str, str], ...] = ()  # ("header.d", "acme.ee"), ...

    def prop(self, *names: str) -> str:
        """The first value of the first of ``names`` present, else ""."""
        for name in names:
            for key, value in self.properties:
                if key == name:
                    return value
        return ""


@dataclass(frozen=True)
class AuthResults:
    """One Authentication-Results header value."""

    authserv_id: str  # lower case; "" when the header names none
    version: int | None = None
    results: tuple[Result, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """Whether a staff-address mail counts as staff, and the words why."""

    verified: bool
    reason: str  # "dmarc=pass", "dkim=fail", "no dmarc result", ...


def _strip_comments(text: str) -> str:
    """The value with its (nested) comments replaced by a space; quoted
    strings kept whole. An unclosed comment runs to the end."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\" and (quoted or depth):
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if quoted:
            out.append(char)
            if char == '"':
                quoted = False
        elif char == "(":
            if depth == 0:
                out.append(" ")
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
            if char == '"':
                quoted = True
    return "".join(out)


def _split(text: str) -> list[str]:
    """Split on ``;`` outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        value = re.sub(r"\\(.)", r"\1", value)
    return value.strip()


def _resinfo(segment: str) -> Result | None:
    """``method=result [reason=...] [ptype.prop=value ...]``, or None."""
    pairs = [(k.lower(), _unquote(v)) for k, v in _PAIR.findall(segment)]
    if not pairs:
        return None
    method, result = pairs[0]
    method = method.split("/", 1)[0]
    result = result.lower()
    if not _KEYWORD.match(method) or not _KEYWORD.match(result):
        return None
    reason = ""
    properties: list[tuple[str, str]] = []
    for key, value in pairs[1:]:
        if key == "reason" and not reason:
            reason = value
        elif "." in key:
            properties.append((key, value))
    return Result(method, result, reason, tuple(properties))


def parse_authres(value: str) -> AuthResults:
    """Read one Authentication-Results header value (never raises)."""
    if not isinstance(value, str):
        return AuthResults("")
    segments = _split(_strip_comments(value[:_MAX_HEADER]))
    head = segments[0].strip()
    authserv_id, version = "", None
    if _RESULT_FIRST.match(head):
        # No authserv-id (Microsoft 365): the first segment is a result.
        rest = segments
    else:
        rest = segments[1:]
        match = _AUTHSERV_ID.match(head)
        if match:
            authserv_id = _unquote(match[1]).lower()
            version = int(match[2]) if match[2] else None
    results: list[Result] = []
    for segment in rest:
        found = _resinfo(segment)
        if found is not None and found.method != "none":
            results.append(found)
        if len(results) >= _MAX_RESULTS:
            break
    return AuthResults(authserv_id, version, tuple(results))


def default_trusted_ids(support_addresses: Iterable[str]) -> frozenset[str]:
    """The authserv-ids trusted when none are configured: each support
    address's domain and (``.domain``) its subdomains, which is what a
    receiving server's host name usually is."""
    ids: set[str] = set()
    for address in support_addresses:
        domain = _domain(address)
        if domain:
            ids |= {domain, "." + domain}
    return frozenset(ids)


def is_trusted(authserv_id: str, trusted_ids: Collection[str]) -> bool:
    """An entry matches its authserv-id exactly; one starting with ``.``
    matches any subdomain; ``(none)`` matches a header that names none."""
    if not authserv_id:
        return NO_AUTHSERV_ID in trusted_ids
    name = authserv_id.lower().rstrip(".")
    if "(" in name:  # a quoted '"(none)"' is not the absence of an id
        return False
    if name in trusted_ids:
        return True
    return any(entry.startswith(".") and name.endswith(entry) for entry in trusted_ids)


def _domain(text: str) -> str:
    """The domain of an address, ``@domain`` or bare domain, as compared."""
    domain = text.strip().strip("<>").rpartition("@")[2].strip().lower().rstrip(".")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
    return domain


def _is_self_or_parent(signer: str, domain: str) -> bool:
    return bool(signer) and (domain == signer or domain.endswith("." + signer))


def _aligned(method: str, result: Result, domain: str) -> bool:
    if method == "dmarc":
        return _domain(result.prop("header.from")) == domain
    if method == "dkim":
        signer = result.prop("header.d") or _domain(result.prop("header.i"))
        return _is_self_or_parent(_domain(signer), domain)
    if method == "spf":
        # "smtp.mail" is what Gmail wrote before RFC 7001 named it mailfrom.
        return _domain(result.prop("smtp.mailfrom", "smtp.mail")) == domain
    return False


def _auth_verifies(result: Result, domain: str) -> bool:
    """``auth=pass``: a login, or an address of the sender's domain."""
    if result.result != "pass":
        return False
    user = result.prop("smtp.auth")
    return "@" not in user or _domain(user) == domain


def _safe(text: str) -> str:
    """Header text fit for a terminal and a reason: no controls, short."""
    return _SAFE.sub("", text.lower())[:100] or "?"


def _topmost(headers: Sequence[AuthResults], method: str) -> tuple[Result, ...]:
    for header in headers:
        found = tuple(r for r in header.results if r.method == method)
        if found:
            return found
    return ()


def _refusal(method: str, results: Sequence[Result], domain: str) -> str:
    failed = next((r for r in results if r.result != "pass"), None)
    if failed is not None:
        return f"{method}={_safe(failed.result)}"
    other = results[0]
    key = {"dmarc": "header.from", "dkim": "header.d", "spf": "smtp.mailfrom"}
    value = other.prop(key[method]) or other.prop("header.i", "smtp.mail")
    return f"{method}=pass for {_safe(_domain(value))}, not {_safe(domain)}"


def verify_staff(
    results: Sequence[str],
    sender: str,
    policy: str,
    trusted_ids: Collection[str],
) -> Verdict:
    """Whether a mail whose From is the staff address ``sender`` is verified.

    ``results`` are the mail's Authentication-Results values, topmost first;
    ``policy`` is one of ``POLICIES``; ``trusted_ids`` as ``is_trusted``.
    """
    if policy not in POLICIES:
        raise ValueError(f"{policy!r} is not one of {', '.join(POLICIES)}")
    if policy == "none":
        return Verdict(True, "not checked")
    headers = [
        header
        for header in map(parse_authres, results[:_MAX_HEADERS])
        if is_trusted(header.authserv_id, trusted_ids)
    ]
    if not headers:
        return Verdict(True, "no trusted Authentication-Results")
    domain = _domain(sender)
    if not domain:
        return Verdict(False, "no sender domain")
    if any(
        r.method == "auth" and _auth_verifies(r, domain) for r in headers[0].results
    ):
        return Verdict(True, "auth=pass")
    found = _topmost(headers, policy)
    if not found:
        return Verdict(False, f"no {policy} result")
    if any(r.result == "pass" and _aligned(policy, r, domain) for r in found):
        return Verdict(True, f"{policy}=pass")
    return Verdict(False, _refusal(policy, found, domain))
