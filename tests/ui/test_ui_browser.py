"""The UI in a real browser (Debian's headless Chromium driven by Playwright) over the real default pipeline.

Saves docs/ui.png (a follow-up question and how it was understood) and records two figures: page ready after launch, and send → first answer token in the page.
"""

from __future__ import annotations

import re
import time

import pytest

from assistant.bench.browser import (
    CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, WATCH_FIRST_TOKEN, answer_done, ask_and_time_first_token,
)
from assistant.config import RetrievalParams
from tests.ui.conftest import REPO, record_figure, serve_ui

pytestmark = pytest.mark.slow  # real model, a server and a browser

SCREENSHOT = REPO / "docs" / "ui.png"


@pytest.fixture(scope="module")
def server(ui_index, tmp_path_factory):
    with serve_ui(ui_index, tmp_path_factory.mktemp("home")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install chromium (scripts/setup --test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def open_app(page, url: str) -> float:
    """Load the app; returns the seconds until the question box is ready."""
    started = time.perf_counter()
    page.goto(url)
    page.locator("#question textarea").wait_for(state="visible")
    return time.perf_counter() - started


def sources_count(page) -> int:
    return page.locator("#sources .sa-source").count()


def footer_model_s(page) -> float:
    """Retrieval + the model's first token, from the sources footer ("retrieval 12 ms · first token 437 ms · …")."""
    footer = page.locator("#sources .sa-timings").inner_text()
    return sum(float(part.split()[-2]) for part in footer.split(" · ")[:2]) / 1000


def test_streamed_answers_with_sources_in_english_and_japanese(page, server):
    load_s = open_app(page, server.url)
    record_figure("page_ready_after_launch_s", server.ready - server.started + load_s)
    record_figure("page_load_s", load_s)
    page.evaluate(WATCH_FIRST_TOKEN)

    for n, question in enumerate(("What is the passing score?", "パイプモードの利点は？"), start=1):
        first_s = ask_and_time_first_token(page, question, n)
        model_s = footer_model_s(page)
        record_figure(f"send_to_first_token_s_q{n}", first_s)
        record_figure(f"of_which_retrieval_and_model_s_q{n}", model_s)
        record_figure(f"of_which_ui_s_q{n}", first_s - model_s)
        assert page.locator("#question textarea").input_value() == "", "the box empties once the question is sent"
        if n == 1:  # the exam table (Markdown) arrives as a table, its supporting row highlighted, no raw | or <br>
            table = page.locator("#sources .sa-text table").first
            assert table.count() and "720点" in table.inner_text() and "|" not in table.inner_text()
            assert page.locator("#sources .sa-text table mark").count() >= 1
            assert "<br>" not in page.locator("#sources").inner_text()

    bots = page.locator('#chat [data-testid="bot"]')
    for i in range(2):
        assert bots.nth(i).inner_text().strip()
    assert page.locator('#chat [data-testid="user"]').nth(1).inner_text().strip() == "パイプモードの利点は？"
    assert sources_count(page) == RetrievalParams().passages
    panel = page.locator("#sources").inner_text()
    assert "パイプモード" in panel and "score 0." in panel and " > " in panel
    status = page.locator("#sources .sa-status").inner_text()
    assert re.match(r"(✓ likely right|\? unsure: check the sources) \(confidence [01]\.\d\d\)|∅ Not in the notes", status), status


def set_slider(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def test_slider_changes_reach_the_request_and_clear_empties_the_chat(page, server):
    open_app(page, server.url)
    set_slider(page, "passages", 1)
    set_slider(page, "max_new_tokens", 3)
    page.locator("#examples button", has_text="L2正則化とは？").click()
    answer_done(page, 1)
    assert page.locator('#chat [data-testid="user"]').inner_text().strip() == "L2正則化とは？"
    assert sources_count(page) == 1
    assert "正則化" in page.locator("#sources .sa-source").inner_text()
    assert int(page.locator("#sources .sa-new-tokens").inner_text()) <= 3

    page.locator("#clear").click()
    page.wait_for_function("""() => document.querySelectorAll('#chat [data-testid="bot"]').length === 0""")
    assert sources_count(page) == 0

    page.locator("#question textarea").fill("")
    page.locator("#send").click()  # an empty question gets a readable message, not an error page
    page.wait_for_function("""() => document.querySelectorAll('#chat [data-testid="bot"]').length === 1""")
    assert "the question is empty" in page.locator('#chat [data-testid="bot"]').inner_text()


def ask(page, question: str, n: int) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    answer_done(page, n)


def test_a_follow_up_shows_how_it_was_understood_and_start_over_forgets_it(page, server):
    open_app(page, server.url)
    ask(page, "エポックとは何ですか？", 1)
    ask(page, "多すぎるとどうなる？", 2)
    bots = page.locator('#chat [data-testid="bot"]')
    assert "understood as" not in bots.nth(0).inner_text()
    assert "understood as: エポックが多すぎるとどうなる？" in bots.nth(1).inner_text()
    assert "エポックが多すぎるとどうなる？" in page.locator("#sources .sa-understood").inner_text()
    assert "エポック" in page.locator("#sources .sa-source").first.inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    page.locator("#clear", has_text="Start over").click()
    page.wait_for_function("""() => document.querySelectorAll('#chat [data-testid="bot"]').length === 0""")
    ask(page, "多すぎるとどうなる？", 1)
    assert "understood as" not in page.locator('#chat [data-testid="bot"]').inner_text()
    assert page.locator("#sources .sa-understood").count() == 0
