"""Quoted history folded away, and replies that only thank, in the users' languages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ticketcli.mail.languages import LANGUAGES
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
    "no": "Fra: Kadri <kadri@help.example>\nSendt: 2. mars 2026 10:00\n"
    "Til: Mari\nEmne: SV: Printer",
    "nl": "Van: Kadri <kadri@help.example>\nVerzonden: maandag 2 maart 2026 10:00\n"
    "Aan: Mari\nOnderwerp: RE: Printer",
    "hr": "Šalje: Kadri <kadri@help.example>\nPoslano: 2. ožujka 2026. 10:00\n"
    "Prima: Mari\nPredmet: Odg: Printer",
    "cs": "Od: Kadri <kadri@help.example>\nOdesláno: 2. března 2026 10:00\n"
    "Komu: Mari\nPředmět: Odp: Printer",
    "sk": "Od: Kadri <kadri@help.example>\nOdoslané: 2. marca 2026 10:00\n"
    "Komu: Mari\nPredmet: Odp: Printer",
    "hu": "Feladó: Kadri <kadri@help.example>\nElküldve: 2026. március 2. 10:00\n"
    "Címzett: Mari\nTárgy: Vá: Printer",
    "lv": "No: Kadri <kadri@help.example>\nNosūtīts: 2026. gada 2. martā 10:00\n"
    "Kam: Mari\nTēma: Atb: Printer",
    "lt": "Nuo: Kadri <kadri@help.example>\nIšsiųsta: 2026 m. kovo 2 d. 10:00\n"
    "Kam: Mari\nTema: ATS: Printer",
    "ru": "От: Kadri <kadri@help.example>\nОтправлено: 2 марта 2026 г. 10:00\n"
    "Кому: Mari\nТема: RE: Printer",
    "uk": "Від: Kadri <kadri@help.example>\nНадіслано: 2 березня 2026 р. 10:00\n"
    "Кому: Mari\nТема: Відп: Printer",
    "fr": "De : Kadri <kadri@help.example>\nEnvoyé : lundi 2 mars 2026 10:00\n"
    "À : Mari\nObjet : RE : Printer",
    "es": "De: Kadri <kadri@help.example>\nEnviado: lunes, 2 de marzo de 2026 10:00\n"
    "Para: Mari\nAsunto: RE: Printer",
    "pt": "De: Kadri <kadri@help.example>\nEnviado: segunda-feira, 2 de março de 2026\n"
    "Para: Mari\nAssunto: RES: Printer",
    "it": "Da: Kadri <kadri@help.example>\nInviato: lunedì 2 marzo 2026 10:00\n"
    "A: Mari\nOggetto: R: Printer",
    "el": "Από: Kadri <kadri@help.example>\nΣτάλθηκε: Δευτέρα, 2 Μαρτίου 2026 10:00\n"
    "Προς: Mari\nΘέμα: ΑΠ: Printer",
    "tr": "Kimden: Kadri <kadri@help.example>\nGönderildi: 2 Mart 2026 Pazartesi\n"
    "Kime: Mari\nKonu: YNT: Printer",
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
    "da": "Den 2. mar. 2026 kl. 10.00 skrev Kadri <kadri@help.example>:",
    "is": "Þann 2. mar. 2026 kl. 10:00 skrifaði Kadri <kadri@help.example>:",
    "nl": "Op ma 2 mrt 2026 om 10:00 schreef Kadri <kadri@help.example>:",
    "hr": "Kadri <kadri@help.example> je napisao/la 2. ožu 2026. u 10:00:",
    "sr": "Kadri <kadri@help.example> је написао 2. мар 2026. у 10:00:",
    "cs": "Dne po 2. 3. 2026 10:00 uživatel Kadri <kadri@help.example> napsal:",
    "sk": "Dňa po 2. 3. 2026 o 10:00 Kadri <kadri@help.example> napísal(a):",
    "hu": "Kadri <kadri@help.example> ezt írta (időpont: 2026. márc. 2., H, 10:00):",
    "lv": "pirmd., 2026. g. 2. marts, plkst. 10:00 — lietotājs Kadri rakstīja:",
    "lt": "2026-03-02, pr, 10:00 Kadri <kadri@help.example> rašė:",
    "ru": "пн, 2 мар. 2026 г. в 10:00, Kadri <kadri@help.example>: написал(а):",
    "uk": "пн, 2 бер. 2026 о 10:00 Kadri <kadri@help.example> пише:",
    "fr": "Le lun. 2 mars 2026 à 10:00, Kadri <kadri@help.example> a écrit :",
    "es": "El lun, 2 mar 2026 a las 10:00, Kadri (<kadri@help.example>) escribió:",
    "pt": "Em seg., 2 de mar. de 2026 às 10:00, Kadri <kadri@help.example> escreveu:",
    "it": "Il giorno lun 2 mar 2026 alle ore 10:00 Kadri <kadri@help.example> ha"
    " scritto:",
    "el": "Στις Δευ 2 Μαρ 2026 στις 10:00, ο/η Kadri <kadri@help.example> έγραψε:",
    "tr": "Kadri <kadri@help.example>, 2 Mar 2026 Pzt, 10:00 tarihinde şunu yazdı:",
}


@pytest.mark.parametrize("lang", sorted(ATTRIBUTIONS))
def test_fold_attribution_and_quotes(lang: str) -> None:
    text = f"Still broken.\n\n{ATTRIBUTIONS[lang]}\n> Did you restart it?\n> K.\n"
    assert fold(text) == ("Still broken.", 3)


WROTE = [(lang.code, word) for lang in LANGUAGES for word in lang.wrote]


@pytest.mark.parametrize(("code", "word"), WROTE)
def test_fold_every_wrote_word_without_an_address(code: str, word: str) -> None:
    # No "@" on the line: only the word tells an attribution.
    text = f"Still broken.\n\n02.03.2026 10:00 Kadri {word}:\n> Did you restart?\n"
    assert fold(text) == ("Still broken.", 2), code


LABELS = [
    (lang.code, frm, sent)
    for lang in LANGUAGES
    for frm in lang.from_labels
    for sent in lang.sent_labels
]


@pytest.mark.parametrize(("code", "frm", "sent"), LABELS)
def test_fold_every_outlook_label_pair(code: str, frm: str, sent: str) -> None:
    for written in {frm.title(), frm.upper()}:
        text = (
            f"It works now.\n\n{written}: Kadri\n{sent.title()}: 02.03.2026 10:00\n"
            "\nDid you restart it?\n"
        )
        assert fold(text) == ("It works now.", 3), (code, written)


ORIGINAL = [(lang.code, line) for lang in LANGUAGES for line in lang.original]


@pytest.mark.parametrize(("code", "line"), ORIGINAL)
def test_fold_every_original_message_banner(code: str, line: str) -> None:
    text = f"See below.\n\n-----{line.title()}-----\nKadri\nDid you restart?\n"
    assert fold(text) == ("See below.", 3), code


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
