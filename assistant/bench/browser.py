"""The UI in headless Chromium (Playwright): seconds from pressing Enter to the answer's first text in the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.bench.common import failure_reason, median, skipped

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; `scripts/setup --test` installs it
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 90_000

# Notes the time of each Enter in the question box and of the first text of the next answer, in the page's clock.
WATCH_FIRST_TOKEN = """() => {
  window.__sent = []; window.__first = [];
  const box = document.querySelector('#question textarea');
  box.addEventListener('keydown', e => { if (e.key === 'Enter') window.__sent.push(performance.now()); }, true);
  const seen = () => {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    const last = bots[bots.length - 1];
    if (window.__first.length < window.__sent.length && bots.length === window.__sent.length && last.innerText.trim())
      window.__first.push(performance.now());
  };
  new MutationObserver(seen).observe(document.querySelector('#chat'), {childList: true, subtree: true, characterData: true});
}"""


def answer_done(page, count: int) -> None:
    """Wait until the chat holds `count` finished answers (each one ends with its sources panel filled)."""
    page.wait_for_function(
        """n => document.querySelectorAll('#chat [data-testid="bot"]').length === n
               && document.querySelector('#sources .sa-status, #sources .sa-source') !== null""",
        arg=count,
    )


def ask_and_time_first_token(page, question: str, n: int) -> float:
    """Type the n-th question and press Enter; returns the seconds from Enter to the answer's first text."""
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    page.wait_for_function("n => window.__first.length === n", arg=n)
    answer_done(page, n)
    return page.evaluate("n => (window.__first[n - 1] - window.__sent[n - 1]) / 1000", n)


def first_tokens_in_browser(url: str, questions: tuple[str, ...]) -> dict[str, Any]:
    """Ask `questions` in one page; the first after launch on its own, the median of the rest."""
    if not CHROMIUM.exists():
        return skipped(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return skipped("playwright is not installed (pip install -e .[test])")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP").new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            page.locator("#question textarea").wait_for(state="visible")
            page.evaluate(WATCH_FIRST_TOKEN)
            times = [ask_and_time_first_token(page, q, n) for n, q in enumerate(questions, start=1)]
            browser.close()
    except Exception as exc:  # noqa: BLE001 - a browser problem is reported, not fatal
        return skipped(f"the browser run failed: {failure_reason(exc)}")
    later = times[1:] or times
    return {"first_token_s": median(later), "first_request_s": times[0], "first_token_s_all": times,
            "client": "headless Chromium (Playwright): Enter → first answer text in the page"}
