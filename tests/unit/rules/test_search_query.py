"""The search query language and the folded words both backends index."""

from __future__ import annotations

from datetime import date

import pytest

from ticketcli.errors import UsageError
from ticketcli.rules.search_query import (
    MAX_TOKENS,
    SearchQuery,
    Term,
    fold,
    fts5_match,
    index_text,
    parse_query,
    snippet,
    tokens,
    tsquery,
    tsvector,
)

# The desk's languages (DESIGN.md): each word as people write it and as
# people type it on a keyboard without the letters.
FOLDED = [
    (
        "et",
        "Aitäh, õun ja šokolaad; ÜLEVAADE žanr",
        "aitah oun ja sokolaad ulevaade zanr",
    ),
    (
        "fi",
        "Hyvää päivää, Åke! Kiitos äläkä öljyä",
        "hyvaa paivaa ake kiitos alaka oljya",
    ),
    (
        "pl",
        "Żółć, źdźbło, Łódź, gęś, ćma, Ńa ŚLĄSK",
        "zolc zdzblo lodz ges cma na slask",
    ),
    ("sl", "Čevapčiči, šala, žaba, ČŠŽ, Đuro", "cevapcici sala zaba csz duro"),
    (
        "en",
        "Can't log in -- the Portal's HTTPS cert",
        "can t log in the portal s https cert",
    ),
]


@pytest.mark.parametrize(
    ("lang", "written", "typed"), FOLDED, ids=[f[0] for f in FOLDED]
)
def test_case_and_accents_fold_to_what_people_type(
    lang: str, written: str, typed: str
) -> None:
    assert index_text(written) == typed
    assert tokens(typed.upper()) == typed.split()


def test_fold_is_the_same_for_composed_and_decomposed_text() -> None:
    assert fold("A\u0308itah") == fold("Äitah") == "aitah"
    assert fold("Straße") == "strasse"


def test_index_text_splits_addresses_and_leaves_out_blobs() -> None:
    assert index_text("Mari <mari.maasikas@kund.ee>", "arve_2026.pdf") == (
        "mari mari maasikas kund ee arve 2026 pdf"
    )
    assert index_text("x" * 65 + " ok") == "ok"
    assert len(index_text("word " * (MAX_TOKENS + 50)).split()) == MAX_TOKENS


def test_words_prefixes_and_phrases() -> None:
    query = parse_query('Printer  tõrge* "ei  TÖÖTA" Aitäh')
    assert query.terms == (
        Term(("printer",)),
        Term(("torge",), prefix=True),
        Term(("ei", "toota")),
        Term(("aitah",)),
    )
    assert fts5_match(query) == '"printer" AND "torge"* AND "ei toota" AND "aitah"'
    assert tsquery(query) == "'printer' & 'torge':* & ('ei' <-> 'toota') & 'aitah'"


def test_an_address_or_a_dotted_word_is_a_phrase_of_its_parts() -> None:
    query = parse_query("mari@kund.ee v2.5")
    assert query.terms == (Term(("mari", "kund", "ee")), Term(("v2", "5")))


def test_no_fts5_or_tsquery_operator_survives_a_word() -> None:
    query = parse_query("NOT a OR b NEAR(c) -d ^e x:* 'f' & g | !h <-> i")
    for term in query.terms:
        assert all(w.isalnum() for w in term.words), term
    assert "NOT" not in fts5_match(query)
    assert "'f'" not in fts5_match(query)


def test_filters() -> None:
    query = parse_query(
        "arve status:open status:PENDING assignee:Kadri customer:FIRMA"
        " from:<Mari@Kund.EE> tag:vip tag:arve-2 after:2026-03-01"
        " before:2026-04-01 has:attachment"
    )
    assert query == SearchQuery(
        terms=(Term(("arve",)),),
        statuses=("open", "pending"),
        assignee="kadri",
        customer="FIRMA",
        sender="mari@kund.ee",
        tags=("vip", "arve-2"),
        after=date(2026, 3, 1),
        before=date(2026, 4, 1),
        has_attachment=True,
    )
    assert query.message_filters
    assert parse_query("assignee:none").assignee == "none"
    assert parse_query("from:kund.ee").sender == "kund.ee"


def test_filters_alone_are_a_query_and_unknown_keys_are_words() -> None:
    assert parse_query("status:new").terms == ()
    assert parse_query("From: Mari").terms == (Term(("from",)), Term(("mari",)))
    assert parse_query("error:42 re:arve").terms == (
        Term(("error", "42")),
        Term(("re", "arve")),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "nothing to search for"),
        ("   ", "nothing to search for"),
        ("-- ... !!", "nothing to search for"),
        ('"printer', "is not closed"),
        ("*", "needs letters before it"),
        ("status:done", "status:done is not one of"),
        ("tag:VIP", "tag:VIP is not a tag"),
        ("tag:a/b", "is not a tag"),
        ("has:pdf", "has:pdf is unknown"),
        ("after:yesterday", "after:yesterday is not a date"),
        ("before:2026-13-01", "is not a date"),
        ("after:2026-03-02 before:2026-03-01", "is not before"),
        ("assignee:a assignee:b", "assignee: given twice"),
    ],
)
def test_wrong_queries_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as error:
        parse_query(text)
    assert "\n" not in str(error.value)


def test_tsvector_literal_keeps_positions_for_phrases() -> None:
    assert tsvector("ei toota ei") == "'ei':1,3 'toota':2"


def test_snippet_cuts_around_the_first_match_whatever_its_accents() -> None:
    body = (
        "Tere!\n\n"
        + "Lorem ipsum dolor. " * 10
        + "Printer ütleb: Tõrge 42.\nAitäh. " * 3
    )
    cut = snippet(body, parse_query("torge"), width=40)
    assert "Tõrge 42" in cut
    assert cut.startswith("…")
    assert cut.endswith("…")
    assert "\n" not in cut
    assert snippet("Lühike tekst", parse_query("puudub")) == "Lühike tekst"
    assert snippet("", parse_query("x")) == ""
    assert "Printer" in snippet(body, parse_query("print*"), width=40)
