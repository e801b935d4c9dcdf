"""The app in a real browser: `streamlit run app.py` driven by Debian's Chromium through Playwright.

One Streamlit server per module (fresh data folder, offline backend, cold index build);
the browser and the server are separate processes, started with flags that keep them off
the network. Screenshots and measured timings go to $RAG_TEST_ARTIFACTS (default
test-artifacts/).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.streamlit_server import StreamlitServer, artifacts

CHROMIUM = os.environ.get("RAG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# The first page load trains both routers from an empty cache, and the time grows with the training
# data: 541 s here (2 cores) with 25,881 type examples; longer on a slower machine. A limit, not a
# measure: the time taken is recorded in e2e-timings.json, and `rag bench` measures speed.
START_TIMEOUT_S = 900
ANSWER_TIMEOUT_MS = 120_000
UPLOAD_PHRASE = "quindecim ledger"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
    # the first test waits for that start in its fixtures (bounded by START_TIMEOUT_S; the suite times
    # test bodies only); a body that waits on the app gets the same allowance
    pytest.mark.timeout(START_TIMEOUT_S + 300),
]
TIMINGS: dict[str, float] = {}
FIRST_START: list[str] = []  # the page's text while the first start prepared the service
_STARTED: dict[str, float] = {}  # when the server process was started


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    st = StreamlitServer(tmp_path_factory.mktemp("e2e-data"), artifacts() / "streamlit.log")
    try:
        st.start(START_TIMEOUT_S)
        TIMINGS["server_healthy_s"] = round(time.monotonic() - st.started_at, 2)
        _STARTED["server"] = st.started_at
        yield st.url
    finally:
        st.stop()
        (artifacts() / "e2e-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")
        print("\ne2e timings:", json.dumps(TIMINGS))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser: Any, server: str) -> Iterator[Any]:
    """One page for the module: the first load measures app start to interactive (cold index build)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(ANSWER_TIMEOUT_MS)
    pg.goto(server)
    # A first start shows its steps until the service is ready (the index alone takes tens of seconds).
    pg.get_by_test_id("stProgress").first.wait_for(state="visible", timeout=120_000)
    pg.wait_for_function(
        "() => /(embedding|training|fitting) /.test(document.querySelector('[data-testid=stMain]').innerText)",
        timeout=120_000,
    )
    FIRST_START.append(pg.get_by_test_id("stMain").inner_text())
    shot(pg, "first-start", full=False)
    pg.get_by_test_id("stChatInputTextArea").wait_for(state="visible", timeout=START_TIMEOUT_S * 1000)
    TIMINGS["app_start_to_interactive_s"] = round(time.monotonic() - _STARTED["server"], 2)
    reload_started = time.monotonic()
    pg.reload()
    pg.get_by_test_id("stChatInputTextArea").wait_for(state="visible")
    TIMINGS["warm_page_load_to_interactive_s"] = round(time.monotonic() - reload_started, 2)
    yield pg
    context.close()


def shot(pg: Any, name: str, full: bool = True) -> Path:
    """A screenshot of the whole page (the main column is scrolled into one tall image)."""
    path = artifacts() / f"{name}.png"
    if full:
        height = pg.evaluate(
            "() => Math.max(...Array.from(document.querySelectorAll('[data-testid=stMain], section.main,"
            " [data-testid=stAppScrollToBottomContainer]')).map(e => e.scrollHeight), 1000)"
        )
        pg.set_viewport_size({"width": 1400, "height": min(int(height) + 200, 9000)})
        pg.wait_for_timeout(400)
    pg.screenshot(path=str(path))
    pg.set_viewport_size({"width": 1400, "height": 1000})
    return path


def ask(pg: Any, question: str) -> tuple[float, float]:
    """Type a question and press Enter; seconds to the first answer text, and to the full answer."""
    before = pg.get_by_test_id("stChatMessage").count()
    box = pg.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    submitted = time.monotonic()
    box.press("Enter")
    pg.wait_for_function(  # the preview: answer text in the new assistant message
        "n => { const m = document.querySelectorAll('[data-testid=stChatMessage]');"
        " return m.length > n && m[n].innerText.trim().length > 80; }",
        arg=before + 1,
        polling=50,
    )
    first = time.monotonic() - submitted
    answer = pg.get_by_test_id("stChatMessage").nth(before + 1)
    answer.get_by_text("Was this answer useful?").wait_for(state="visible")  # the final, fully rendered answer
    return first, time.monotonic() - submitted


def markers(scope: Any) -> Any:
    """The citation markers of an answer (or page): one row of pills per source."""
    return scope.get_by_test_id("stButtonGroup").locator("button")


def open_marker(pg: Any, marker: Any) -> str:
    """Select a citation marker and return its passage's text once drawn (it is built on selection).

    A marker already selected is not clicked again: that would deselect it and close its passage.
    """
    cid = marker.inner_text().split("·")[0].strip()
    answer = marker.locator("xpath=ancestor::*[@data-testid='stChatMessage'][1]")
    if marker.get_attribute("aria-checked") != "true":  # each marker is a radio: checked when selected
        marker.click()
    body = answer.locator("[class*='st-key-passage-']").filter(has_text=f"[{cid}]").first
    body.wait_for(state="visible")
    return str(body.inner_text())


def test_the_first_start_shows_its_steps_then_the_chat(page: Any) -> None:
    """The first page load waited on a page of steps (the index's passes, the routers' training and
    fits), a bar for the one under way and the time so far; then the chat came (the fixture)."""
    text = FIRST_START[0]
    assert "Preparing the knowledge base" in text
    assert re.search(r"(embedding the knowledge base|training the router|fitting the \w+ router)[^\n]* · \d+ s", text)
    assert re.search(r"\d+ s in all so far", text)
    assert page.get_by_test_id("stProgress").count() == 0  # ready: no bar left on the page


def test_ask_shows_verdict_conditions_and_a_cited_passage(page: Any) -> None:
    shot(page, "01-empty-state")
    first, full = ask(page, "could rivals cooperate on compute controls?")
    TIMINGS["submit_to_first_visible_answer_s"] = round(first, 2)
    TIMINGS["submit_to_complete_answer_s"] = round(full, 2)
    answer = page.get_by_test_id("stChatMessage").nth(1)
    text = answer.inner_text()
    assert "Not feasible" in text  # the verdict label (the prose says "not feasible")
    for name in ("Domain separability", "Mutual vulnerability", "Verification feasibility"):
        assert name in text and answer.get_by_text(name, exact=True).first.is_visible()
    shot(page, "02-answer")
    marker = markers(answer).first
    cid = marker.inner_text().split("·")[0].strip()
    body = open_marker(page, marker)
    assert f"[{cid}]" in body and len(body) > 120
    shot(page, "03-citation-passage", full=False)


def test_citation_header_says_what_it_is_and_what_it_is_based_on(page: Any) -> None:
    """Opening a marker shows the header kind; a passage of the project's own writing lists its sources."""
    answer = page.get_by_test_id("stChatMessage").nth(1)
    chips = markers(answer)
    seen: list[str] = []
    for i in range(chips.count()):
        body = open_marker(page, chips.nth(i))
        header = body.split("\n", 1)[0]
        seen.append(header)
        if "Project assessment" in header or "Project note:" in header:
            assert "Based on:" in body, body
            assert "the project's own" in body
            shot(page, "03b-citation-of-the-projects-writing", full=False)
            break
    else:  # the engine does not attribute any passage of this answer to the project's writing
        raise AssertionError(f"no passage shown as the project's note or assessment: {seen}")


def test_every_tool_of_an_answer_is_there(page: Any) -> None:
    answer = page.get_by_test_id("stChatMessage").nth(1)
    answer.get_by_text("Sources:").first.click()
    answer.get_by_text("Cited in this answer").wait_for(state="visible")
    answer.get_by_text("Classroom tools").first.click()
    answer.get_by_text("What evidence would change the rating", exact=False).first.wait_for(state="visible")
    answer.get_by_role("tab", name="Argue the other side").click()
    answer.get_by_text("The case that", exact=False).first.wait_for(state="visible")
    assert answer.get_by_text("Ask next").first.is_visible()
    assert answer.get_by_text("Was this answer useful?").is_visible()
    for label in ("Start over", "Download as Markdown", "Download printable handout"):
        assert page.get_by_role("button", name=label).first.is_visible()
    shot(page, "03c-answer-tools")


def test_a_second_question_keeps_the_first_answer_and_its_passages(page: Any) -> None:
    started = time.monotonic()
    ask(page, "Is incident reporting between rival states feasible?")
    TIMINGS["second_answer_s"] = round(time.monotonic() - started, 2)
    messages = page.get_by_test_id("stChatMessage")
    assert messages.count() == 4
    first = messages.nth(1)
    assert "Not feasible" in first.inner_text()
    body = open_marker(page, markers(first).nth(1))
    assert len(body) > 120  # an earlier answer's passages still open


def test_right_to_left_question_reads_right_to_left(page: Any) -> None:
    question = "هل يمكن للدول المتنافسة التعاون في الإبلاغ عن الحوادث؟"
    before = page.get_by_test_id("stChatMessage").count()
    ask(page, question)
    asked = page.get_by_test_id("stChatMessage").nth(before)
    paragraph = asked.get_by_test_id("stMarkdownContainer").first
    assert question in paragraph.inner_text()
    align = paragraph.evaluate("e => getComputedStyle(e.querySelector('p') || e).textAlign")
    assert align in ("right", "end"), align
    shot(page, "03d-right-to-left")


def test_framework_explorer(page: Any) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text("Framework explorer").click()
    page.get_by_role("heading", name="Framework explorer").wait_for(state="visible")
    page.get_by_test_id("stVegaLiteChart").first.wait_for(state="visible")
    assert page.get_by_text("The three conditions", exact=True).first.is_visible()
    shot(page, "04-framework-explorer")


def test_upload_a_document_and_ask_about_it(page: Any, tmp_path: Path) -> None:
    doc = tmp_path / "zorblat-accord-notes.md"
    doc.write_text(
        "# The Zorblat Accord\n\n## Incident ledger\n\nThe Zorblat Accord of 2031 commits rival states to record "
        f"every serious AI incident in a shared {UPLOAD_PHRASE}, audited by a neutral clearing house.\n"
    )
    page.get_by_test_id("stSidebarNav").get_by_text("Your documents").click()
    page.get_by_role("heading", name="Your documents").wait_for(state="visible")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(doc))
    page.get_by_test_id("stFileChip").first.wait_for(state="visible")  # (long names are shown shortened)
    started = time.monotonic()
    page.get_by_role("button", name="Add to my documents").click()
    page.get_by_text(f"{doc.name}: added").wait_for(state="visible")
    TIMINGS["upload_to_indexed_s"] = round(time.monotonic() - started, 2)
    shot(page, "05-your-documents")

    page.get_by_test_id("stSidebarNav").get_by_text("Ask").click()
    page.get_by_test_id("stChatInputTextArea").wait_for(state="visible")
    page.get_by_role("button", name="Start over").click()
    page.get_by_text("Try a question").wait_for(state="visible")
    ask(page, "What does the Zorblat Accord say?")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    answer.get_by_text("Sources:").first.click()
    answer.get_by_text(doc.name).first.wait_for(state="visible")  # the uploaded document is among the sources
    shot(page, "06-answer-with-your-document")


def test_uploaded_document_is_cited(page: Any) -> None:
    answer = page.get_by_test_id("stChatMessage").nth(1)
    cited = markers(answer).filter(has_text="Incident ledger")
    assert cited.count() >= 1
