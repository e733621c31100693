"""The HTML report in headless Chromium: pictures at 1280 and 390 px, and
at 390 px (a phone) no sideways scrolling and a title whose date range
stays on one line -- for a report of 5,000-character subjects, long
unbreakable words and long names.

Debian's ``chromium`` (tests/install.sh installs it) is driven over the
DevTools protocol as tools/screenshot_report.py does: its --screenshot
cannot lay a page out below 500 px. Outside CI a machine without Chromium
skips; under CI=true a missing or broken Chromium fails.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import threading
from typing import TYPE_CHECKING, Any

import pytest

from tests.long_desk import LONG_WORD, NOW, shared_long_desk
from tools.screenshot_report import DevTools

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.helpers import Desk

IN_CI = os.environ.get("CI", "").lower() == "true"
SHOTS = ((1280, "en"), (390, "en"), (390, "et"))
WATCHDOG = 180  # seconds for the module's Chromium, a few in fact

# What the page measures of itself once laid out: how wide it scrolls, how
# wide the window is, and where the title's date range sits (the lines its
# boxes are on, its height against the title's line height).
MEASURE = """(() => {
  const title = document.querySelector("h1");
  const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let text = "";
  while (walker.nextNode()) {
    nodes.push([walker.currentNode, text.length]);
    text += walker.currentNode.data;
  }
  const place = (at) => {
    const [node, start] = nodes.filter(([, s]) => s <= at).pop();
    return [node, at - start];
  };
  const found = text.indexOf(DATES);
  let dates = null;
  if (found >= 0) {
    const range = document.createRange();
    range.setStart(...place(found));
    range.setEnd(...place(found + DATES.length));
    const tops = [...range.getClientRects()].map((r) => Math.round(r.top));
    dates = {lines: new Set(tops).size, height: range.getBoundingClientRect().height};
  }
  return JSON.stringify({
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
    line: parseFloat(getComputedStyle(title).lineHeight),
    title: text,
    dates: dates,
  });
})()"""
DATES = "2026-03-02 – 2026-03-03"


def need_chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if IN_CI:
            pytest.fail("Chromium is required in CI (tests/install.sh installs it)")
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    return path


class Browser:
    """One headless Chromium; each page in a tab of its own, laid out as a
    phone below 600 px (a mobile viewport: it would zoom out to fit a page
    wider than the screen, which is what the check catches)."""

    def __init__(self, chromium: str, profile: str) -> None:
        self.tools = DevTools(chromium, profile)
        # A Chromium that hangs is killed: the pipe closes, the call fails.
        self._watchdog = threading.Timer(WATCHDOG, self.tools.process.kill)
        self._watchdog.daemon = True
        self._watchdog.start()

    def open(self, page: Path, width: int) -> tuple[dict[str, Any], bytes]:
        """The page's measurements and a picture of all of it."""
        tools = self.tools
        target = tools.call("Target.createTarget", url="about:blank")["targetId"]
        session = tools.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        metrics = {"width": width, "deviceScaleFactor": 1, "mobile": width < 600}
        tools.call("Emulation.setDeviceMetricsOverride", session, height=800, **metrics)
        tools.call("Page.enable", session)
        tools.call("Page.navigate", session, url=page.resolve().as_uri())
        tools.wait_for("Page.loadEventFired")
        found = tools.call(
            "Runtime.evaluate",
            session,
            expression=MEASURE.replace("DATES", json.dumps(DATES)),
            returnByValue=True,
        )
        measured = json.loads(found["result"]["value"])
        height = int(
            tools.call("Page.getLayoutMetrics", session)["cssContentSize"]["height"]
        )
        tools.call(
            "Emulation.setDeviceMetricsOverride", session, height=height + 1, **metrics
        )
        shot = tools.call("Page.captureScreenshot", session, format="png")
        tools.call("Target.closeTarget", targetId=target)
        return measured, base64.b64decode(shot["data"])

    def close(self) -> None:
        self._watchdog.cancel()
        self.tools.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = need_chromium()
    with tempfile.TemporaryDirectory(prefix="ticketcli-chromium-") as profile:
        started = Browser(chromium, profile)
        try:
            started.tools.call("Browser.getVersion")
        except (OSError, RuntimeError) as exc:
            started.close()
            if IN_CI:
                pytest.fail(f"Chromium did not start: {exc}")
            pytest.skip(f"Chromium did not start: {exc}")
        try:
            yield started
        finally:
            started.close()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return shared_long_desk(tmp_path_factory.mktemp("long"), 60)


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)


def tell(request: pytest.FixtureRequest, text: str) -> None:
    """A line on the terminal at -v (where the pictures are)."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if request.config.get_verbosity() > 0 and capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\n    {text} ", end="")


@pytest.mark.parametrize(("width", "lang"), SHOTS)
def test_report_fits_the_screen(
    browser: Browser,
    desk: Desk,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    width: int,
    lang: str,
) -> None:
    page = tmp_path / f"report-{lang}.html"
    result = desk.run("report", "--html", str(page), "--lang", lang)
    assert result.exit_code == 0, result.stderr
    assert LONG_WORD in page.read_text(encoding="utf-8")  # the widest words are there
    measured, png = browser.open(page, width)
    picture = tmp_path / f"report-{width}-{lang}.png"
    picture.write_bytes(png)
    tell(request, f"{picture}: {width} px, {lang}")
    assert png.startswith(b"\x89PNG")
    # No sideways scrolling, and no zooming out to fit.
    assert measured["inner"] == width, measured
    assert measured["scroll"] <= width, measured
    # The title's week "2026-03-02 – 2026-03-03" is one piece on one line.
    dates = measured["dates"]
    assert dates is not None, measured["title"]
    assert dates["lines"] == 1, measured
    assert dates["height"] < 1.5 * measured["line"], measured


def test_the_check_sees_a_page_that_scrolls(browser: Browser, tmp_path: Path) -> None:
    """The measurement can fail: a long word that may not break widens a
    page past the phone's screen (as the report's subjects did)."""
    page = tmp_path / "wide.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta name="viewport" '
        'content="width=device-width, initial-scale=1"></head><body>'
        f"<h1>Report {DATES}</h1><p>{LONG_WORD * 3}</p>"
        "</body></html>",
        encoding="utf-8",
    )
    measured, _ = browser.open(page, 390)
    assert measured["scroll"] > 390 or measured["inner"] > 390, measured
