"""The Practice / 演習 tab in headless Chromium: start, answer right, answer blank, and the reviews land in SQLite."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from assistant.bench.browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from assistant.quiz.grading import option_label
from assistant.quiz.items import ItemType
from tests.quiz.test_study import REPO

pytestmark = pytest.mark.slow  # a server and a browser

# The app over the quiz fixture index, with a stand-in pipeline: the Practice tab needs only the stored index.
_SERVE = """
import sys, types
from index.storage import read_index
from assistant.config import DEFAULT_GENERATION, RetrievalParams
from ui.app import build_app, launch
from pathlib import Path
index = read_index(Path(sys.argv[1]))
pipeline = types.SimpleNamespace(retriever=types.SimpleNamespace(index=index), generation=DEFAULT_GENERATION,
                                 retrieval=RetrievalParams())
demo = build_app(pipeline)
print("practice UI on", launch(demo, port=int(sys.argv[2])), flush=True)
demo.block_thread()
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def practice_server(quiz_index, tmp_path_factory):
    home = tmp_path_factory.mktemp("practice-home")
    env = {**os.environ, "ASSISTANT_HOME": str(home), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-c", _SERVE, str(quiz_index), str(_free_port())], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read():
        for line in process.stdout:
            lines.append(line)
            if "practice UI on" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                break
        if not ready.is_set():
            raise RuntimeError("the practice UI did not start:\n" + "".join(lines[-30:]))
        url = next(l for l in lines if "practice UI on" in l).split("practice UI on", 1)[1].strip()
        yield url.rstrip("/"), home
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def page():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install chromium (scripts/setup --test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        yield tab
        chromium.close()


def _answer(page, item) -> None:
    if item.type is ItemType.SINGLE:
        page.locator("#practice-single label").nth(item.answer[0]).click()
    elif item.type is ItemType.MULTIPLE:
        for index in item.answer:
            page.locator("#practice-multiple label").nth(index).click()
    elif item.type is ItemType.CLOZE:
        page.locator("#practice-typed textarea, #practice-typed input").first.fill(item.answer_text[0])
    else:
        page.locator("#practice-typed textarea, #practice-typed input").first.fill(
            " ".join(option_label(a) for a in item.answer))


def test_practice_tab_grades_and_schedules(practice_server, page, quiz_index):
    from index.storage import read_index
    from assistant.quiz.build import build_items

    url, home = practice_server
    items = build_items(read_index(quiz_index))
    page.goto(url)
    page.get_by_role("tab", name="Practice / 演習").click()
    page.locator("#practice-start").click()
    page.locator("#practice-stem .sa-practice-stem").wait_for(state="visible")
    assert "Due today" in page.locator("#practice-status").inner_text()

    stem_text = page.locator("#practice-stem .sa-practice-stem").inner_text()
    first = next(i for i in items if i.stem.split("\n")[0] in stem_text)
    _answer(page, first)
    page.locator("#practice-submit").click()
    page.locator("#practice-verdict").wait_for(state="visible")
    assert "正解" in page.locator("#practice-verdict").inner_text()
    feedback = page.locator("#practice-feedback").inner_text()
    assert "出典" in feedback and first.evidence.split("\n")[0].strip("|- ")[:10] in feedback

    page.locator("#practice-next").click()
    page.wait_for_function("() => !document.querySelector('#practice-verdict')")
    page.locator("#practice-submit").click()  # nothing chosen: a blank counts as wrong
    page.locator("#practice-verdict").wait_for(state="visible")
    assert "未回答" in page.locator("#practice-verdict").inner_text()

    deadline = time.monotonic() + 10
    while True:
        rows = sqlite3.connect(home / "study.sqlite3").execute("SELECT correct FROM reviews ORDER BY id").fetchall()
        if len(rows) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert rows == [(1,), (0,)]
