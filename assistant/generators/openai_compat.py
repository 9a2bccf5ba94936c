"""A model behind an OpenAI-compatible HTTP server (llama.cpp server, vLLM, Ollama), streamed from /v1/completions.

Which server honours which setting (the standard OpenAI fields are max_tokens, temperature, top_p, seed, stop):

| setting            | sent as                                  | llama.cpp server | vLLM               | Ollama (/v1)  |
|--------------------|------------------------------------------|------------------|--------------------|---------------|
| temperature 0      | temperature: 0                           | greedy           | greedy             | greedy        |
| top_k (0 = off)    | extra `top_k` (0 sent as -1)             | yes              | yes                | ignored       |
| repetition_penalty | extra `repeat_penalty` and `repetition_penalty` | yes (`repeat_penalty`, last 64 tokens) | yes (`repetition_penalty`) | ignored |
| seed               | seed                                     | yes              | yes                | yes           |
| stop               | stop                                     | yes              | yes                | yes           |
| SpanConstraint     | extra `grammar` (GBNF)                   | yes              | ignored            | ignored       |

Fields a server does not know are ignored (vLLM logs a warning). Because a server may ignore the grammar, the
span constraint is also enforced here: the stream is cut at the first character that would leave the sources.
"""

from __future__ import annotations

import os
from typing import Any

from assistant.config import GenerationParams
from assistant.generators.base import GenerationStream, Generator, PieceGenerator, SpanConstraint, Usage
from assistant.generators.grammar import SpanChecker, span_grammar
from corpus.errors import InputError

HEALTH_TIMEOUT_S = 3.0
REQUEST_TIMEOUT_S = 300.0


def normalise_base_url(base_url: str) -> str:
    """`base_url` with a trailing /v1 (users often give just http://host:port)."""
    url = base_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InputError(f"the model server URL must start with http:// or https://, got {base_url!r}")
    return url if url.endswith("/v1") else url + "/v1"


def openai_request(
    prompt: str, model: str, params: GenerationParams, constraint: SpanConstraint | None = None
) -> dict[str, Any]:
    """Keyword arguments for `client.completions.create` (a streamed /v1/completions request)."""
    request: dict[str, Any] = {
        "model": model,
        "prompt": prompt,
        "max_tokens": params.max_new_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "seed": params.seed,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if params.stop:
        request["stop"] = list(params.stop)
    extra: dict[str, Any] = {
        # -1 means "off" to both llama.cpp and every vLLM version; 0 is rejected by older vLLM.
        "top_k": params.top_k if params.top_k > 0 else -1,
        "min_p": 0.0,  # llama.cpp defaults to 0.05; the local backends use none
        "repeat_penalty": params.repetition_penalty,  # llama.cpp's name
        "repetition_penalty": params.repetition_penalty,  # vLLM's name
    }
    if constraint is not None:
        extra["grammar"] = span_grammar(constraint.sources)
    request["extra_body"] = extra
    return request


def _import_openai():
    try:
        import openai
    except ImportError as exc:
        raise InputError("the openai backend needs the package openai: pip install openai") from exc
    return openai


class OpenAICompatGenerator(Generator):
    """Streams completions from an OpenAI-compatible server; the constructor checks that the server answers.

    `model` None picks the first model the server lists (llama.cpp and Ollama serve one by default).
    The API key is $OPENAI_API_KEY, or a placeholder for local servers that need none.
    """

    name = "openai"

    def __init__(self, base_url: str, model: str | None = None, *, api_key: str | None = None) -> None:
        openai = _import_openai()
        self.base_url = normalise_base_url(base_url)
        self._errors = openai
        self.client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "no-key",
            timeout=REQUEST_TIMEOUT_S,
            max_retries=0,
        )
        served = self._served_models()
        if model is None:
            if not served:
                raise InputError(f"the model server at {self.base_url} lists no models; name one with --model")
            model = served[0]
        self.model = model

    def _served_models(self) -> list[str]:
        """The model ids the server lists; raises InputError when it cannot be reached."""
        openai = self._errors
        try:
            page = self.client.models.list(timeout=HEALTH_TIMEOUT_S)
        except openai.APIConnectionError as exc:  # includes timeouts
            raise InputError(f"cannot reach the model server at {self.base_url}: {_reason(exc)}") from exc
        except openai.AuthenticationError as exc:
            raise InputError(f"the model server at {self.base_url} refused the API key; set OPENAI_API_KEY") from exc
        except openai.APIStatusError:
            return []  # it answers, but has no model list
        return [m.id for m in page.data]

    def stream(
        self, prompt: str, params: GenerationParams, constraint: SpanConstraint | None = None
    ) -> GenerationStream:
        return GenerationStream(self._pieces(prompt, params, constraint))

    def _pieces(self, prompt: str, params: GenerationParams, constraint: SpanConstraint | None) -> PieceGenerator:
        openai = self._errors
        checker = SpanChecker(constraint.sources) if constraint is not None else None
        new_tokens = prompt_tokens = finish_reason = None
        try:
            response = self.client.completions.create(**openai_request(prompt, self.model, params, constraint))
        except openai.APIConnectionError as exc:
            raise InputError(f"cannot reach the model server at {self.base_url}: {_reason(exc)}") from exc
        except openai.APIStatusError as exc:
            if exc.status_code < 500:
                raise InputError(f"the model server at {self.base_url} rejected the request: {_reason(exc)}") from exc
            raise RuntimeError(f"the model server at {self.base_url} failed: {_reason(exc)}") from exc
        try:
            for chunk in response:
                if chunk.usage is not None:
                    prompt_tokens, new_tokens = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
                for choice in chunk.choices:
                    text = choice.text or ""
                    if checker is not None:
                        kept = checker.feed(text)
                        if kept:
                            yield kept
                        if len(kept) < len(text):  # the server ignored the grammar: stop at the span's end
                            return Usage(new_tokens=new_tokens, prompt_tokens=prompt_tokens, finish_reason="span_end")
                    elif text:
                        yield text
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
        finally:
            response.close()
        return Usage(new_tokens=new_tokens, prompt_tokens=prompt_tokens, finish_reason=finish_reason)

    def close(self) -> None:
        self.client.close()


def _reason(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    cause = exc.__cause__ or exc.__context__
    text = str(cause or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
