"""The Gradio chat app: streamed answers with their sources, sampling settings, and a gradio_client API."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.config import (
    PASSAGES_RANGE, GenerationParams, Range, RetrievalParams, Settings, resolve_settings, setting_help, setting_range,
)
from corpus.errors import InputError
from index.retriever import RetrieverMode

from assistant.answer.followup import Turn, parse_history
from ui import AUTH_ENV, DEFAULT_HOST, DEFAULT_PORT
from ui.practice import practice_tab_for
from ui.render import CSS, PLACEHOLDER, chat_text, error_html, sources_html
from ui.warmup import warm_up

EXAMPLES = ("パイプモードの利点は？", "合格ラインは何点？", "L2正則化とは？", "What is the passing score?")
# The chat and the API share the model's slots (Generator.slots: llama.cpp's parallel slots, set by `ui --slots` or
# assistant.config.model_slots()): that many answers are written at once and further requests queue in Gradio.
# Other events (the practice tab) run one at a time, as before.
MODEL_SLOTS = 1
# A long question is echoed into the chat only this far, so that a pasted book does not flood the page.
ECHO_CHARS = 300
# Latin text keeps Gradio's bundled font; the browser takes Japanese glyphs from the first CJK font it has.
FONTS = (gr.themes.LocalFont("Source Sans Pro"), "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans",
         "Hiragino Kaku Gothic ProN", "Yu Gothic UI", "Meiryo", "system-ui", "sans-serif")
MONO_FONTS = (gr.themes.LocalFont("IBM Plex Mono"), "Noto Sans Mono CJK JP", "ui-monospace", "monospace")
WORKING = '<div class="sa-panel sa-empty">Answering… / 回答中…</div>'


def _slider_bounds(spec: Range) -> tuple[float, float]:
    # An open lower bound (top_p's 0) is not a valid value, so the slider starts one step above it.
    return (spec.low + spec.step if spec.low_open else spec.low), spec.high


def _whole(value: Any) -> Any:
    """40.0 → 40 (sliders and JSON clients send floats); anything else is left for validation to judge."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def request_settings(pipeline, temperature=None, top_k=None, top_p=None, max_new_tokens=None, passages=None,
                     seed=None, retriever=None) -> tuple[GenerationParams, RetrievalParams]:
    """The settings of one request: the pipeline's defaults with the given values (None = default); InputError if invalid."""
    given = dict(temperature=temperature, top_k=_whole(top_k), top_p=top_p, max_new_tokens=_whole(max_new_tokens),
                 seed=_whole(seed), passages=_whole(passages), retriever=retriever or None)
    settings = resolve_settings(given, Settings(pipeline.generation, pipeline.retrieval))
    return settings.generation, settings.retrieval


def _echo(message: Any) -> str:
    text = message if isinstance(message, str) else repr(message)
    return text if len(text) <= ECHO_CHARS else f"{text[:ECHO_CHARS]}… ({len(text):,} characters)"


def _history(value: Any) -> list[dict]:
    """The chat history as sent by the page or an API client, keeping only well-formed messages."""
    if not isinstance(value, list):
        return []
    return [m for m in value if isinstance(m, dict) and m.get("role") in ("user", "assistant") and "content" in m]


def _message_text(content: Any) -> str:
    """A chat message's text: the page sends a string, or a list of parts such as {"type": "text", "text": "…"}."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return content.get("text") if isinstance(content.get("text"), str) else ""
    if isinstance(content, list):
        return "".join(_message_text(part) for part in content)
    return ""


def conversation_turns(history: list[dict]) -> tuple[Turn, ...]:
    """The earlier turns of the chat as (question, answer) pairs, oldest first; failed turns (⚠) are left out."""
    turns: list[Turn] = []
    for message in history:
        content = _message_text(message.get("content"))
        if message["role"] == "user" and content.strip():
            turns.append(Turn(content.strip()))
        elif message["role"] == "assistant" and turns and turns[-1].answer is None:
            if content.startswith("⚠"):
                turns.pop()
            else:
                turns[-1] = Turn(turns[-1].question, content)
    return tuple(turns)


def _failure(exc: Exception) -> str:
    traceback.print_exception(exc, file=sys.stderr)
    return f"the assistant failed to answer ({type(exc).__name__}); the server log has the details"


def serving_slots(pipeline) -> int:
    """How many answers the UI lets through at once: as many as the pipeline's generator serves in parallel."""
    slots = getattr(getattr(pipeline, "generator", None), "slots", MODEL_SLOTS)
    return slots if isinstance(slots, int) and not isinstance(slots, bool) and slots >= 1 else MODEL_SLOTS


def build_app(pipeline) -> gr.Blocks:
    """The chat page over `pipeline`; its sliders start at the pipeline's settings, within assistant.config's ranges."""
    gen, ret = pipeline.generation, pipeline.retrieval

    def respond(message, history, temperature, top_k, top_p, max_new_tokens, passages, seed, retriever) -> Iterator[tuple]:
        history = _history(history)
        turns = conversation_turns(history)
        history.append({"role": "user", "content": _echo(message)})
        try:
            generation, retrieval = request_settings(
                pipeline, temperature, top_k, top_p, max_new_tokens, passages, seed, retriever
            )
            stream = pipeline.stream(message, generation, retrieval, history=turns)
        except InputError as exc:
            history.append({"role": "assistant", "content": f"⚠ {exc}"})
            yield history, error_html(str(exc)), gr.skip()
            return
        history.append({"role": "assistant", "content": ""})
        yield history, WORKING, ""
        text = ""
        try:
            for piece in stream:
                text += piece
                history[-1] = {"role": "assistant", "content": text}
                yield history, gr.skip(), gr.skip()
            answer = stream.answer
        except InputError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠ {exc}"}
            yield history, error_html(str(exc)), gr.skip()
            return
        except Exception as exc:  # noqa: BLE001 - one failed answer must not take the page down
            problem = _failure(exc)
            history[-1] = {"role": "assistant", "content": f"⚠ {problem}"}
            yield history, error_html(problem), gr.skip()
            return
        history[-1] = {"role": "assistant", "content": chat_text(answer)}
        yield history, sources_html(answer), gr.skip()

    def ask(
        question: str,
        temperature: float = gen.temperature,
        top_k: int = gen.top_k,
        top_p: float = gen.top_p,
        max_new_tokens: int = gen.max_new_tokens,
        passages: int = ret.passages,
        seed: int = gen.seed,
        retriever: str = ret.retriever.value,
        history: list | None = None,
    ) -> dict:
        """Answer one question from the notes. `history`: the earlier turns, [{"question": ..., "answer": ...}, ...],
        oldest first. Returns the batch record (answer, abstained, sources, params, timings, grounded, groundedness,
        support, resolved_question), or {"error": "..."} for bad input."""
        try:
            generation, retrieval = request_settings(
                pipeline, temperature, top_k, top_p, max_new_tokens, passages, seed, retriever
            )
            turns = parse_history(history, "history")
            return pipeline.answer(question, generation, retrieval, history=turns).as_record()
        except InputError as exc:
            return {"error": str(exc)}
        except Exception as exc:  # noqa: BLE001
            return {"error": _failure(exc)}

    def slider(name: str, label: str) -> gr.Slider:
        spec = setting_range(name)
        low, high = _slider_bounds(spec)
        return gr.Slider(low, high, value=getattr(gen, name), step=spec.step, label=label, info=setting_help(name),
                         elem_id=name)

    with gr.Blocks(title="Study assistant", analytics_enabled=False) as demo:
        with gr.Sidebar(label="Settings", open=True, width=320):
            gr.Markdown("### Settings / 設定")
            temperature = slider("temperature", "Temperature")
            top_k = slider("top_k", "Top-k")
            top_p = slider("top_p", "Top-p")
            max_new_tokens = slider("max_new_tokens", "Max new tokens")
            passages = gr.Slider(*_slider_bounds(PASSAGES_RANGE), value=ret.passages, step=PASSAGES_RANGE.step,
                                 label="Passages", info="chunks of the notes retrieved for the answer", elem_id="passages")
            seed_range = setting_range("seed")
            seed = gr.Number(gen.seed, label="Seed", info=setting_help("seed"), precision=0,
                             minimum=seed_range.low, maximum=seed_range.high, elem_id="seed")
            retriever = gr.Dropdown([m.value for m in RetrieverMode], value=ret.retriever.value, label="Retriever",
                                    info="dense vectors, BM25 terms, or both fused", elem_id="retriever")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Chat / 質問", id="chat-tab", elem_id="chat-tab"):
                gr.Markdown("## Study assistant\nAsk about your notes; answers cite the passages they come from. "
                            "ノートについて質問すると、根拠の箇所を示して答えます。")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label="Chat", show_label=False, height=500, elem_id="chat", buttons=["copy"],
                                             feedback_options=None)
                        with gr.Row(equal_height=True):
                            message = gr.Textbox(placeholder="Ask a question… / 質問を入力…", label="Question", show_label=False,
                                                 lines=1, max_lines=4, scale=6, elem_id="question", autofocus=True)
                            send = gr.Button("Send", variant="primary", scale=1, min_width=90, elem_id="send")
                            clear = gr.Button("Start over", variant="secondary", scale=1, min_width=120, elem_id="clear")
                        with gr.Row(elem_id="examples"):
                            gr.Markdown("Try:", scale=0, min_width=0, elem_classes="sa-examples-label")
                            example_buttons = [gr.Button(q, size="sm", scale=0, min_width=0, elem_classes="sa-example")
                                               for q in EXAMPLES]
                    with gr.Column(scale=2):
                        gr.Markdown("### Sources / 出典")
                        sources = gr.HTML(PLACEHOLDER, label="Sources", elem_id="sources")
            with gr.Tab("Practice / 演習", id="practice-tab", elem_id="practice-tab"):
                practice_tab_for(pipeline)

        inputs = [message, chatbot, temperature, top_k, top_p, max_new_tokens, passages, seed, retriever]
        outputs = [chatbot, sources, message]
        model = dict(concurrency_id="model", concurrency_limit=serving_slots(pipeline))
        # Raw inputs (preprocess=False): an out-of-range value sent through the API then gets respond()'s message,
        # naming the setting and its range, in the chat instead of Gradio's bare error.
        chat = dict(fn=respond, inputs=inputs, outputs=outputs, preprocess=False, **model)
        answering = [message.submit(api_name="chat", **chat), send.click(api_visibility="private", **chat)]
        for button, question in zip(example_buttons, EXAMPLES):
            fill = button.click(lambda q=question: q, None, message, queue=False, api_visibility="private")
            answering.append(fill.then(api_visibility="private", **chat))
        # Clearing also stops an answer still being written, so that it does not reappear in the emptied chat.
        clear.click(lambda: ([], PLACEHOLDER, ""), None, [chatbot, sources, message], queue=False,
                    api_visibility="private", cancels=answering)
        chatbot.clear(lambda: (PLACEHOLDER, ""), None, [sources, message], queue=False, api_visibility="private",
                      cancels=answering)
        gr.api(ask, api_name="ask", **model)
    return demo


def launch(demo: gr.Blocks, host: str = DEFAULT_HOST, port: int | None = DEFAULT_PORT,
           auth: tuple[str, str] | None = None) -> str:
    """Serve `demo` in a background thread with safe defaults; returns its local URL."""
    demo.queue(default_concurrency_limit=MODEL_SLOTS)
    try:
        demo.launch(
            server_name=host, server_port=port, share=False, auth=auth, inbrowser=False, quiet=True,
            prevent_thread_lock=True, show_error=False,
            allowed_paths=[],  # serve no file beyond Gradio's own assets
            max_file_size="1mb",  # the app takes no uploads
            ssr_mode=False, run_history=False, mcp_server=False, enable_monitoring=False, pwa=False,
            footer_links=["api"],
            theme=gr.themes.Soft(font=FONTS, font_mono=MONO_FONTS), css=CSS,
        )
    except OSError as exc:
        raise InputError(f"cannot serve on {host}:{port} ({exc}); pick another --port") from exc
    return demo.local_url


def auth_from_env(environ: dict[str, str] | None = None) -> tuple[str, str]:
    """(user, password) from $ASSISTANT_AUTH ("user:password"); InputError when it is missing or ill-formed."""
    value = (os.environ if environ is None else environ).get(AUTH_ENV, "")
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise InputError(f"--auth needs the environment variable {AUTH_ENV} set to user:password")
    return user.strip(), password


def run_ui(pipeline, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, auth: tuple[str, str] | None = None) -> int:
    """Serve the chat over a built `pipeline` until Ctrl+C (after one warm-up answer)."""
    warm_up(pipeline)
    demo = build_app(pipeline)
    url = launch(demo, host, port, auth)
    print(f"study assistant UI on {url}{' (login required)' if auth else ''}; press Ctrl+C to stop", flush=True)
    demo.block_thread()
    return 0
