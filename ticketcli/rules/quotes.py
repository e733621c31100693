"""What a person wrote in a reply, apart from the history it quotes; and
whether that is nothing but thanks. Pure: text in, text (or a verdict) out.

`show` folds quoted history away so a ticket reads as one conversation, and
the reopen policy (`[reopen] ignore_thanks`) must judge only the new words:
the quoted question below a "Thanks!" is not a new question.
"""

from __future__ import annotations

import re

from ticketcli.mail.languages import every


def _alternation(forms: tuple[str, ...]) -> str:
    return "|".join(re.escape(form) for form in forms)


# Outlook's quoted-header block, as each client locale labels it (the tables
# in ``mail.languages``): a "From" line followed within a few lines by a
# "Sent" line. French puts a space before the colon ("De :").
_FROM_LINE = re.compile(
    rf"^\s*\*?(?:{_alternation(every('from_labels'))})\*?\s*:\s*\S", re.IGNORECASE
)
_SENT_LINE = re.compile(
    rf"^\s*\*?(?:{_alternation(every('sent_labels'))})\*?\s*:\s*\S", re.IGNORECASE
)
# "-----Original Message-----" and its translations.
_ORIGINAL = re.compile(
    rf"^\s*-{{2,}}\s*(?:{_alternation(every('original'))})\s*-{{2,}}\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*[_\-=]{8,}\s*$")
# "On Mon, 2 Mar 2026 at 10:00, Mari <mari@kund.ee> wrote:" and the like;
# only counted when quoted lines follow, so a sentence ending in ":" stays.
_ATTRIBUTION_WORDS = re.compile(
    rf"(?<!\w)(?:{_alternation(every('wrote'))})(?!\w).*:\s*$",
    re.IGNORECASE,
)


def _outlook_block_at(lines: list[str], i: int) -> bool:
    if _ORIGINAL.match(lines[i]):
        return True
    if not _FROM_LINE.match(lines[i]):
        return False
    return any(_SENT_LINE.match(line) for line in lines[i + 1 : i + 4])


def _next_text(lines: list[str], i: int) -> str:
    for line in lines[i + 1 :]:
        if line.strip():
            return line
    return ""


def fold(text: str) -> tuple[str, int]:
    """The reply's own text and how many (non-blank) lines of history it drops.

    Everything from an Outlook header block (or "Original Message" line) on
    is history; elsewhere ``>`` lines and the attribution line above them go.
    """
    lines = (text or "").replace("\r\n", "\n").split("\n")
    for i in range(len(lines)):
        if _outlook_block_at(lines, i):
            cut = i
            while cut > 0 and (
                not lines[cut - 1].strip() or _SEPARATOR.match(lines[cut - 1])
            ):
                cut -= 1
            lines, dropped = lines[:cut], sum(1 for x in lines[cut:] if x.strip())
            break
    else:
        dropped = 0
    kept: list[str] = []
    for i, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            dropped += 1
            continue
        if line.rstrip().endswith(":") and _next_text(lines, i).lstrip().startswith(
            ">"
        ):
            if _ATTRIBUTION_WORDS.search(line) or "@" in line:
                # A wrapped attribution ("On ..., Mari <m@x>\nwrote:") starts
                # on the line before.
                if kept and kept[-1].strip().lower().startswith(("on ", "am ")):
                    kept.pop()
                    dropped += 1
                dropped += 1
                continue
        kept.append(line)
    while kept and (not kept[-1].strip() or _SEPARATOR.match(kept[-1])):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept), dropped


def own_text(text: str) -> str:
    return fold(text)[0]


# --- "only thanks" -------------------------------------------------------------

_THANKS = (
    "thank you very much",
    "thank you so much",
    "thanks a lot",
    "thanks a million",
    "many thanks",
    "thank you",
    "thanks",
    "thank",
    "thx",
    "ty",
    "suur aitäh",
    "suur tänu",
    "aitäh",
    "aitah",
    "tänan väga",
    "tänan",
    "tänud",
    "najlepša hvala",
    "lepa hvala",
    "hvala lepa",
    "hvala",
    "bardzo dziękuję",
    "dziękuję bardzo",
    "dziękuję",
    "dziekuje",
    "dzięki",
    "dzieki",
    "paljon kiitoksia",
    "kiitos paljon",
    "kiitoksia",
    "kiitos",
    "vielen dank",
    "danke schön",
    "danke sehr",
    "danke",
    "tack så mycket",
    "tusen tack",
    "tack",
    "tusen takk",
    "takk",
    "mange tak",
    "tak",
)
_THANKS_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(t) for t in _THANKS) + r")(?!\w)"
)
# Words that say the matter goes on: "thanks, but ...", "still not working".
_GOES_ON = frozenset(
    """
    but however still not no doesn't don't didn't isn't can't cannot problem again
    aga kuid ent ikka ei veel endiselt probleem
    ampak vendar še ne ni problem spet
    ale jednak nadal nie wciąż problem znowu
    mutta kuitenkin vielä ei edelleen ongelma
    aber jedoch noch nicht kein immer problem wieder
    men dock fortfarande inte ej problem igen ikke fortsatt
    """.split()
)
# Greetings, closings and fillers that may stand beside a thank-you.
_FILLER = frozenset(
    """
    hi hello hey dear all ok okay great perfect super excellent awesome nice good
    fine works worked it now that this everything for the your you a lot much
    very so again help quick reply answer solved fixed best kind warm regards
    br cheers have day weekend
    tere tere! hei head päeva lugupidamisega parimate soovidega kõik korras
    töötab nüüd
    pozdravljeni živjo lep pozdrav lp spoštovanjem deluje zdaj
    dzień dobry witam pozdrawiam poważaniem działa teraz super
    moi terveisin ystävällisin toimii nyt hyvää päivänjatkoa
    hallo liebe grüße gruß lg mfg freundlichen mit funktioniert jetzt
    hej hälsningar vänliga mvh med fungerar nu
    """.split()
)
_SIGNATURE = re.compile(
    r"^(?:--\s*|sent from my .*|saadetud .*iphone.*|von meinem .*)$"
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_MAX_LEFT = 4  # words beyond thanks and fillers: a name, a company


def only_thanks(text: str) -> bool:
    """True when a reply, quotes and signature aside, says nothing but thanks.

    Such a reply must not reopen a closed ticket. Anything that asks
    ("?"), goes on ("but", "still not"), or says more than a name besides
    the thanks is a real reply.
    """
    lines = []
    for line in own_text(text).split("\n"):
        stripped = line.strip().lower()
        if _SIGNATURE.match(stripped):
            break  # everything below a signature separator is signature
        if re.search(r"\d|@|https?:", stripped):
            continue  # phone numbers, addresses, links: signature lines
        lines.append(stripped)
    body = " ".join(lines)
    if "?" in body or not _THANKS_RE.search(body):
        return False
    rest = _WORD.findall(_THANKS_RE.sub(" ", body))
    if any(word in _GOES_ON for word in rest):
        return False
    left = [word for word in rest if word not in _FILLER]
    return len(left) <= _MAX_LEFT
