"""The other xllamacpp build in a child process: one process cannot load two builds of xllamacpp (same module name),
so when scripts/setup --native has replaced the wheel, the bench and a slow test run the kept wheel here, with its
folder first on PYTHONPATH (assistant.generators.llamacpp.kept_wheel_dir).

The child loads the model through LlamaCppGenerator, so it has the parent's settings, then answers one JSON line per
request on stdin: a llama.cpp completion body in, {"run": Run fields, "text": ..., "last": its last chunk} out, timed
inside the child around Server.handle_completions as the in-process baseline is. Its first line says which build and
file it loaded.
The parent's side is assistant.bench.generation.ChildLlamaCpp.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict


def serve(n_ctx: int, threads: int) -> None:
    from importlib import metadata

    import xllamacpp

    from assistant.bench.generation import raw_llamacpp_text_run
    from assistant.generators.llamacpp import LlamaCppGenerator

    generator = LlamaCppGenerator(n_ctx=n_ctx, n_threads=threads)
    print(json.dumps({"build": generator.build, "version": metadata.version("xllamacpp"), "file": xllamacpp.__file__,
                      "model": str(generator.model_path), "system_info": generator.system_info}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        chunks: list = []
        run, text = raw_llamacpp_text_run(generator._server, json.loads(line), chunks)
        print(json.dumps({"run": asdict(run), "text": text, "last": chunks[-1] if chunks else None}), flush=True)
    generator.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
