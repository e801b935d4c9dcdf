"""The app's first start (rag.ui.preparing): the steps a preparation reports, its result or its
failure, and the page that shows them. No model, no index: the work is a function of the test's."""

from __future__ import annotations

import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from rag.errors import KnowledgeError
from rag.ui.preparing import Preparation, Reporter, Status, Step

pytestmark = pytest.mark.usefixtures("leave_the_process_as_found")


def test_the_steps_are_the_notices_and_each_pass_of_a_bar_in_the_order_they_began() -> None:
    reporter = Reporter()
    assert reporter.steps() == ()
    embedding = reporter.bar("embedding the knowledge base")
    for done in range(4):
        embedding(done, 3)
    embedding(0, 0)  # nothing to do for a collection: no step
    embedding(0, 2)  # the next embedder's pass over the passages
    embedding(1, 2)
    reporter.notice("training the router for English questions")
    fits = reporter.bar("fitting the English router")
    fits(0, 16)
    fits(5, 16)
    steps = reporter.steps()
    assert [(s.what, s.done, s.total) for s in steps] == [
        ("embedding the knowledge base", 3, 3),
        ("embedding the knowledge base (second pass)", 1, 2),
        ("training the router for English questions", 0, 0),
        ("fitting the English router", 5, 16),
    ]
    time.sleep(0.02)
    later = reporter.steps()
    assert [s.seconds for s in later[:-1]] == [s.seconds for s in steps[:-1]]  # a step ends when the next begins
    assert later[-1].seconds >= steps[-1].seconds + 0.02  # the step under way: its time so far


def test_a_preparation_reports_while_it_works_then_gives_its_result() -> None:
    release = threading.Event()

    def build(reporter: Reporter) -> str:
        reporter.bar("fitting the English router")(2, 16)
        release.wait(10)
        return "the service"

    preparation = Preparation(build)
    assert preparation.result(wait=0.05) is None
    status = preparation.status()
    assert [(s.what, s.done, s.total) for s in status.steps] == [("fitting the English router", 2, 16)]
    assert status.error is None and status.seconds > 0
    release.set()
    assert preparation.result(wait=10) == "the service"


def test_a_failure_is_told_in_a_sentence_and_gives_no_result(caplog: pytest.LogCaptureFixture) -> None:
    def missing(reporter: Reporter) -> str:
        raise KnowledgeError("knowledge folder not found: /nowhere")

    def broken(reporter: Reporter) -> str:
        raise ValueError("a bad vector")

    known, unexpected = Preparation(missing), Preparation(broken)
    assert known.result(wait=10) is None and unexpected.result(wait=10) is None
    assert known.status().error == "knowledge folder not found: /nowhere"
    error = unexpected.status().error or ""
    assert "ValueError" in error and "a bad vector" in error and "log" in error
    assert "Traceback" in caplog.text  # the details go to the server's log, not to the page


def page(steps: tuple[tuple[str, int, int, float], ...], seconds: float) -> None:
    from rag.ui.preparing import Status, Step, show

    show(Status(tuple(Step(*s) for s in steps), seconds))


def shown(status: Status) -> AppTest:
    steps = tuple((s.what, s.done, s.total, s.seconds) for s in status.steps)
    at = AppTest.from_function(page, args=(steps, status.seconds), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_ticks_what_is_done_and_shows_a_bar_of_the_step_under_way() -> None:
    at = shown(
        Status(
            (
                Step("embedding the knowledge base", 412, 412, 31.0),
                Step("training the router for English questions", seconds=98.4),
                Step("fitting the English router", 5, 16, 20.2),
            ),
            149.6,
        )
    )
    markdown = "\n".join(m.value for m in at.markdown)
    assert "embedding the knowledge base: 412 of 412 · 31 s" in markdown
    assert "training the router for English questions · 1 min 38 s" in markdown
    assert "fitting the English router" not in markdown  # under way: a bar, not a tick
    bars = at.get("progress")
    assert len(bars) == 1
    assert bars[0].proto.value == round(5 / 16 * 100)
    assert bars[0].proto.text == "fitting the English router: 5 of 16 · 20 s"
    assert "2 min 29 s in all so far" in at.caption[0].value


def test_the_page_before_any_step_and_during_a_step_that_does_not_count() -> None:
    first = shown(Status((), 0.4))
    assert first.get("progress")[0].proto.text == "starting… · 0 s"
    notice = shown(Status((Step("training the router for questions in other languages", seconds=3.2),), 65))
    assert notice.get("progress")[0].proto.text == "training the router for questions in other languages… · 3 s"
    assert "1 min 05 s in all so far" in notice.caption[0].value
