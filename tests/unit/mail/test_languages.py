"""Every language's reply/forward prefixes and auto-reply phrases, as tables.

The forms come from ``ticketcli.mail.languages`` (one table per language);
each is tried in lower, upper and title case, with and without a counter,
and the common clients' real subjects are listed beside them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ticketcli.mail.classify import (
    classify,
    is_out_of_office_subject,
    is_out_of_office_text,
)
from ticketcli.mail.languages import LANGUAGES, every
from ticketcli.mail.model import Kind, ParsedMail
from ticketcli.mail.subject import normalize_subject, strip_prefixes

CODES = {lang.code for lang in LANGUAGES}
# The languages the issue names; each must have a table.
REQUIRED = set(
    "et fi sv no da is de nl pl sl hr sr cs sk hu lv lt ru uk fr es pt it el tr".split()
)


def _cases(form: str) -> list[str]:
    cases = {form, form.upper(), form.title()}
    if "İ" not in form:
        cases.add(form.lower())
    return sorted(cases)


def _mail(subject: str, body: str = "", **kw: object) -> ParsedMail:
    fields: dict[str, object] = dict(
        message_id="<m@example.ee>",
        date=datetime(2026, 3, 2, tzinfo=UTC),
        from_address="mari@example.ee",
        from_name="Mari",
        to=("support@acme.example",),
        cc=(),
        subject=subject,
        body_text=body,
        attachments=(),
        in_reply_to=(),
        references=(),
        thread_index=None,
        headers={},
        content_type="text/plain",
        content_hash="x",
        raw_sha256="y",
        size=100,
    )
    fields.update(kw)
    return ParsedMail(**fields)  # type: ignore[arg-type]


def test_every_language_of_the_issue_has_a_table() -> None:
    assert REQUIRED <= CODES
    for lang in LANGUAGES:
        if lang.code in REQUIRED:
            for field in ("reply", "forward", "autoreply", "wrote"):
                assert getattr(lang, field), (lang.code, field)
            for field in ("from_labels", "sent_labels", "original"):
                assert getattr(lang, field), (lang.code, field)


PREFIXES = [
    (lang.code, form) for lang in LANGUAGES for form in (*lang.reply, *lang.forward)
]


@pytest.mark.parametrize(("code", "form"), PREFIXES)
@pytest.mark.parametrize("counter", ["", "[2]", "(3)", " "])
def test_every_prefix_is_stripped(code: str, form: str, counter: str) -> None:
    for written in _cases(form):
        subject = f"{written}{counter}: Arve 12"
        assert strip_prefixes(subject) == "Arve 12", (code, subject)
        assert normalize_subject(f"RE: {subject}", "ACME") == "arve 12"


# Subjects as the clients really write them (a reply, a forward, nested).
CLIENT_SUBJECTS = [
    ("et", "Outlook", "Vs: Arve nr 12"),
    ("et", "Outlook on the web", "Vast: Arve nr 12"),
    ("et", "Outlook", "Edasi: Arve nr 12"),
    ("et", "Mail.ee", "Vastus: Arve nr 12"),
    ("et", "Neti", "VS: Edasi: Arve nr 12"),
    ("fi", "Outlook", "VS: Lasku 12"),
    ("fi", "Outlook", "VL: Lasku 12"),
    ("sv", "Outlook", "SV: Faktura 12"),
    ("sv", "Apple Mail", "Vb: Faktura 12"),
    ("no", "Outlook", "SV: VS: Faktura 12"),
    ("da", "Outlook", "VS: Faktura 12"),
    ("is", "Outlook", "FS: Reikningur 12"),
    ("de", "Outlook", "AW: WG: Rechnung 12"),
    ("de", "GMX", "Antwort: Rechnung 12"),
    ("de", "Thunderbird", "Re: AW(2): Rechnung 12"),
    ("nl", "Outlook", "Antw: Doorst: Factuur 12"),
    ("pl", "Outlook", "Odp: PD: Faktura 12"),
    ("pl", "Onet", "Odp:Faktura 12"),
    ("pl", "WP", "Fwd: Odp: Faktura 12"),
    ("sl", "Outlook", "Odg: Posr: Račun 12"),
    ("sl", "Siol", "RE: Fw: Račun 12"),
    ("hr", "Outlook", "Odg: Prosl: Račun 12"),
    ("sr", "Outlook", "Одг: Просл: Рачун 12"),
    ("cs", "Outlook", "Odp: PŘ: Faktura 12"),
    ("sk", "Outlook", "Odp: PD: Faktúra 12"),
    ("hu", "Outlook", "Vá: Továbbítás: Számla 12"),
    ("lv", "Outlook", "Atb: Pārs: Rēķins 12"),
    ("lt", "Outlook", "ATS: PRSL: Sąskaita 12"),
    ("ru", "Outlook", "Ответ: Пересл: Счёт 12"),
    ("ru", "Mail.ru", "Re[2]: Fwd: Счёт 12"),
    ("uk", "Outlook", "Відп: Пересл: Рахунок 12"),
    ("fr", "Outlook", "RE : TR : Facture 12"),
    ("es", "Outlook", "RE: RV: Factura 12"),
    ("pt", "Outlook", "RES: ENC: Fatura 12"),
    ("it", "Outlook", "R: I: Fattura 12"),
    ("el", "Outlook", "ΑΠ: ΠΡΘ: Τιμολόγιο 12"),
    ("tr", "Outlook", "YNT: İLT: Fatura 12"),
]


@pytest.mark.parametrize(("code", "client", "subject"), CLIENT_SUBJECTS)
def test_client_subjects_meet_the_original(
    code: str, client: str, subject: str
) -> None:
    original = subject.rsplit(": ", 1)[-1].split(":")[-1].strip()
    assert strip_prefixes(subject) == original, (code, client)


def test_prefix_words_inside_a_subject_stay() -> None:
    assert strip_prefixes("Vastus puudub") == "Vastus puudub"
    assert strip_prefixes("Edasi: kuidas?") == "kuidas?"
    assert strip_prefixes("Question about Vast: in subjects") == (
        "Question about Vast: in subjects"
    )


PHRASES = [(lang.code, form) for lang in LANGUAGES for form in lang.autoreply]


@pytest.mark.parametrize(("code", "phrase"), PHRASES)
def test_every_autoreply_phrase_is_recognised(code: str, phrase: str) -> None:
    for written in _cases(phrase):
        assert is_out_of_office_subject(f"{written}: Arve 12"), (code, written)
        assert is_out_of_office_subject(written), (code, written)
        mail = _mail(f"{written}: Arve 12")
        assert classify(mail) is Kind.AUTOREPLY, (code, written)


CLIENT_AUTOREPLIES = [
    ("et", "Outlook", "Automaatvastus: Arve nr 12"),
    ("et", "Mail.ee", "Automaatne vastus: Arve nr 12"),
    ("fi", "Outlook", "Automaattinen vastaus: Lasku 12"),
    ("sv", "Outlook", "Automatiskt svar: Faktura"),
    ("no", "Outlook", "Automatisk svar: Faktura"),
    ("da", "Outlook", "Automatisk svar: Faktura"),
    ("is", "Outlook", "Sjálfvirkt svar: Reikningur"),
    ("de", "Outlook", "Automatische Antwort: Rechnung"),
    ("de", "Exchange", "Abwesenheitsnotiz: Rechnung"),
    ("nl", "Outlook", "Automatisch antwoord: Factuur"),
    ("pl", "Outlook", "Odpowiedź automatyczna: Faktura"),
    ("pl", "Onet", "Automatyczna odpowiedź: Faktura"),
    ("sl", "Outlook", "Samodejni odgovor: Račun"),
    ("hr", "Outlook", "Automatski odgovor: Račun"),
    ("sr", "Outlook", "Аутоматски одговор: Рачун"),
    ("cs", "Outlook", "Automatická odpověď: Faktura"),
    ("sk", "Outlook", "Automatická odpoveď: Faktúra"),
    ("hu", "Outlook", "Automatikus válasz: Számla"),
    ("lv", "Outlook", "Automātiskā atbilde: Rēķins"),
    ("lt", "Outlook", "Automatinis atsakymas: Sąskaita"),
    ("ru", "Outlook", "Автоматический ответ: Счёт"),
    ("uk", "Outlook", "Автоматична відповідь: Рахунок"),
    ("fr", "Outlook", "Réponse automatique : Facture"),
    ("es", "Outlook", "Respuesta automática: Factura"),
    ("pt", "Outlook", "Resposta automática: Fatura"),
    ("it", "Outlook", "Risposta automatica: Fattura"),
    ("el", "Outlook", "Αυτόματη απάντηση: Τιμολόγιο"),
    ("tr", "Outlook", "Otomatik yanıt: Fatura"),
    ("en", "Gmail", "Out of Office: Invoice"),
]


@pytest.mark.parametrize(("code", "client", "subject"), CLIENT_AUTOREPLIES)
def test_client_autoreplies_without_headers(
    code: str, client: str, subject: str
) -> None:
    # No Auto-Submitted, no X-Autoreply: only the subject says it.
    assert classify(_mail(subject)) is Kind.AUTOREPLY, (code, client)
    # Prefixes are not stripped from it: the phrase must stay visible.
    assert strip_prefixes(subject) == subject


def test_autoreply_phrase_inside_a_sentence_is_a_ticket() -> None:
    assert classify(_mail("Automaatvastuse seadistamine ei tööta")) is Kind.TICKET
    assert classify(_mail("Out of office hours support")) is Kind.TICKET


AWAY = [(lang.code, form) for lang in LANGUAGES for form in lang.away]


@pytest.mark.parametrize(("code", "line"), AWAY)
def test_first_line_of_a_headerless_responder(code: str, line: str) -> None:
    body = f"{line.capitalize()} kuni 12.08.\n\nMari"
    # An answer ("Re: ..." or In-Reply-To) whose first line says "away".
    assert is_out_of_office_text("Re: Arve 12", body), code
    assert classify(_mail("Re: Arve 12", body)) is Kind.AUTOREPLY
    assert classify(_mail("Arve 12", body, in_reply_to=("<a@b>",))) is Kind.AUTOREPLY
    # A new mail that starts so is a person writing: a ticket.
    assert classify(_mail("Arve 12", body)) is Kind.TICKET


def test_first_line_subject_phrase() -> None:
    body = "Automaatvastus: Olen puhkusel kuni 12.08.\n"
    assert classify(_mail("", body)) is Kind.AUTOREPLY
    assert classify(_mail("Re: Arve", "Aitäh, arve on makstud.")) is Kind.TICKET


def test_tables_hold_no_duplicates_within_a_field() -> None:
    for field in ("reply", "forward", "autoreply", "wrote", "from_labels"):
        forms = every(field)
        assert len(forms) == len(set(forms))
        assert all(form == form.strip() and form for form in forms)
