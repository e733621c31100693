"""Every list of the morning report stops at a limit with its total beside
it (reports.morning.capped), a mail too big gets shorter lists with the
same totals (render.html.shorter_lists), and the title's dates do not
break on a phone (render.html.nowrap_dates)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ticketcli.render.html import nowrap_dates, shorter_lists
from ticketcli.reports.morning import ROW_LIMIT, capped


def test_capped_keeps_the_first_rows_and_counts_them_all() -> None:
    rows = [{"n": n} for n in range(ROW_LIMIT + 7)]
    out = capped("away", rows)
    assert out == {"away": rows[:ROW_LIMIT], "away_total": ROW_LIMIT + 7}
    assert capped("away", rows[:3]) == {"away": rows[:3], "away_total": 3}


def test_capped_by_key_keeps_the_busiest_in_their_own_order() -> None:
    opens = {"anna": 1, "jaan": 9, "kati": 4, "mari": 9, "olev": 0}
    agents = [{"login": login, "open": n} for login, n in opens.items()]
    out = capped("assignees", agents, 3, key=lambda row: -row["open"])
    assert [a["login"] for a in out["assignees"]] == ["jaan", "kati", "mari"]
    assert out["assignees_total"] == 5


@given(st.lists(st.integers(0, 50), max_size=60), st.integers(0, 30))
def test_capped_is_a_sub_list_of_the_right_size(opens: list[int], limit: int) -> None:
    rows = [{"id": i, "open": n} for i, n in enumerate(opens)]
    out = capped("x", rows, limit, key=lambda row: -row["open"])
    kept = out["x"]
    assert out["x_total"] == len(rows)
    assert len(kept) == min(limit, len(rows))
    assert [r["id"] for r in kept] == sorted(r["id"] for r in kept)
    left_out = [r for r in rows if r not in kept]
    # None left out is busier than one kept.
    assert all(a["open"] <= b["open"] for a in left_out for b in kept)


def test_shorter_lists_cut_what_is_counted_and_keep_the_counts() -> None:
    model = {
        "pool": list(range(10)),
        "pool_total": 40,
        "customers": list(range(8)),
        "customers_total": 500,
        "trend": list(range(8)),  # no total: not a list of the mail's to cut
        "load": [[0] * 24] * 7,
        "over_goal": 3,
    }
    shorter = shorter_lists(model, 2)
    assert shorter == {
        **model,
        "pool": [0, 1],
        "customers": [0, 1],
    }
    assert model["pool"] == list(range(10))  # the model itself is left alone


def test_title_dates_stay_whole_and_the_rest_is_escaped() -> None:
    nowrap = '<span style="white-space:nowrap;">'
    assert str(nowrap_dates("Report <b> for the week 2026-03-02 – 2026-03-08")) == (
        f"Report &lt;b&gt; for the week {nowrap}2026-03-02 – 2026-03-08</span>"
    )
    assert str(nowrap_dates("Aruanne: 2026-03")) == f"Aruanne: {nowrap}2026-03</span>"
    assert str(nowrap_dates("Support report for 2026-03-03")) == (
        f"Support report for {nowrap}2026-03-03</span>"
    )
