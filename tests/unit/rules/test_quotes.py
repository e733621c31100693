"""Quoted history folded away, and replies that only thank, in the users' languages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ticketcli.rules.quotes import fold, only_thanks

if TYPE_CHECKING:
    from tests.conftest import GenMailbox

OUTLOOK = {
    "en": "From: Kadri <kadri@help.example>\nSent: Monday, March 02, 2026 10:00 AM\n"
    "To: Mari\nSubject: RE: Printer",
    "et": "Saatja: Kadri <kadri@help.example>\nSaadetud: 02.03.2026 10:00\n"
    "Adressaat: Mari\nTeema: RE: Printer",
    "pl": "Od: Kadri <kadri@help.example>\nWysłano: 02.03.2026 10:00\n"
    "Do: Mari\nTemat: RE: Printer",
    "fi": "Lähettäjä: Kadri <kadri@help.example>\nLähetetty: 02.03.2026 10:00\n"
    "Vastaanottaja: Mari\nAihe: VS: Printer",
    "sl": "Od: Kadri <kadri@help.example>\nPoslano: 02.03.2026 10:00\n"
    "Za: Mari\nZadeva: RE: Printer",
    "de": "Von: Kadri <kadri@help.example>\nGesendet: 02.03.2026 10:00\n"
    "An: Mari\nBetreff: AW: Printer",
    "sv": "Från: Kadri <kadri@help.example>\nSkickat: 02.03.2026 10:00\n"
    "Till: Mari\nÄmne: SV: Printer",
}


@pytest.mark.parametrize("lang", sorted(OUTLOOK))
def test_fold_outlook_header_block(lang: str) -> None:
    text = (
        "It works now.\n\n________________________________\n"
        + OUTLOOK[lang]
        + "\n\nDid you restart it?\n"
    )
    own, dropped = fold(text)
    assert own == "It works now."
    assert dropped == 6


ATTRIBUTIONS = {
    "en": "On Mon, 2 Mar 2026 at 10:00, Kadri <kadri@help.example> wrote:",
    "et": "Kontaktil Kadri (<kadri@help.example>) kirjutas kuupäeval 02.03.2026 kell"
    " 10:00:",
    "pl": "02.03.2026 o 10:00 Kadri <kadri@help.example> napisał(a):",
    "fi": "02.03.2026 klo 10:00 Kadri (kadri@help.example) kirjoitti:",
    "sl": "V 02.03.2026 ob 10:00 je Kadri <kadri@help.example> napisal(a):",
    "de": "Am 02.03.2026 um 10:00 Uhr schrieb Kadri <kadri@help.example>:",
    "sv": "Den 02.03.2026 kl 10:00 skrev Kadri <kadri@help.example>:",
}


@pytest.mark.parametrize("lang", sorted(ATTRIBUTIONS))
def test_fold_attribution_and_quotes(lang: str) -> None:
    text = f"Still broken.\n\n{ATTRIBUTIONS[lang]}\n> Did you restart it?\n> K.\n"
    assert fold(text) == ("Still broken.", 3)


def test_fold_keeps_interleaved_answers_and_plain_colons() -> None:
    text = "> Which model?\nHP 4050.\n\nDetails follow:\n- tray 2\n"
    assert fold(text) == ("HP 4050.\n\nDetails follow:\n- tray 2", 1)


def test_fold_wrapped_gmail_attribution() -> None:
    text = "Yes.\n\nOn Mon, 2 Mar 2026 at 10:00, Kadri <k@h.example>\nwrote:\n> Q?\n"
    assert fold(text) == ("Yes.", 3)


def test_fold_nothing_to_fold() -> None:
    assert fold("Hello\nworld\n") == ("Hello\nworld", 0)


QUOTE = "\n\nOn Mon, 2 Mar 2026, Kadri <k@h.example> wrote:\n> Is it fixed? Tell us?\n"


@pytest.mark.parametrize(
    ("text", "thanks"),
    [
        ("Thanks!", True),
        ("Thank you very much!\n\nMari", True),
        (
            "Thanks, it works now.\n\nBest regards,\nMari Maasikas\nTel +372 555 5555",
            True,
        ),
        ("Aitäh!", True),
        ("Tänan, nüüd töötab.\n\nLugupidamisega,\nMari", True),
        ("Hvala lepa!\n\nLp, Janez", True),
        ("Dziękuję bardzo!\nPozdrawiam\nAnna", True),
        ("Dzięki!", True),
        ("Kiitos paljon!\n\nTerveisin,\nMatti Meikäläinen", True),
        ("Danke schön!\n\nViele Grüße\nHans", True),
        ("Tack så mycket!\n--\nSven Svensson\nAB Firma", True),
        ("Takk!", True),
        ("Tak!", True),
        ("Thanks!" + QUOTE, True),
        ("Thanks! Could you also send the invoice?", False),
        ("Thanks, but the printer still does not work.", False),
        ("Aitäh! Aga kas saate ka arve saata?", False),
        ("Aitäh, aga ikka ei tööta.", False),
        ("Hvala, ampak še vedno ne deluje.", False),
        ("Dziękuję, ale nadal nie działa.", False),
        ("Kiitos, mutta tulostin ei vieläkään toimi.", False),
        ("Danke, aber es funktioniert immer noch nicht.", False),
        ("Tack, men skrivaren fungerar inte.", False),
        ("The printer is broken again, the paper jams in tray two.", False),
        ("Thank you. Please also change our billing address to the new office.", False),
        ("", False),
    ],
    ids=lambda v: v if isinstance(v, bool) else v[:30],
)
def test_only_thanks(text: str, thanks: bool) -> None:
    assert only_thanks(text) is thanks


def test_fold_on_generated_replies(gen_mailbox: GenMailbox) -> None:
    """Every quoting reply of the generated mailbox loses its history, and
    what is left quotes nothing; replies that quote nothing stay whole."""
    from ticketcli.mail.parse import parse_message

    folder, truth = gen_mailbox(conversations=30, seed=5, noise=0)
    replies = [
        m for m in truth["messages"] if m["kind"] == "ticket" and m["position"] > 0
    ]
    assert len(replies) > 30
    for entry in replies:
        body = parse_message((folder / entry["file"]).read_bytes()).body_text
        own, dropped = fold(body)
        assert not any(line.startswith(">") for line in own.splitlines())
        quoted = any(line.startswith(">") for line in body.splitlines())
        assert (dropped > 0) >= quoted, entry["file"]
        if not dropped:
            assert own == body.strip()
