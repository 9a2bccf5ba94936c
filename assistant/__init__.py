"""The study assistant: settings, prompt, generator backends, the RAG pipeline and the CLI."""

import os

# llama.cpp (xllamacpp) and torch run their CPU threads through OpenMP. With the default ACTIVE wait policy, a
# thread whose partner is descheduled spins instead of sleeping: on the 2-core machine, one other busy process cut
# decoding from ~21 to ~1.5 tokens/s (llama.cpp) and from ~8 to ~0.9 (transformers); PASSIVE keeps them at ~21
# and ~8. libgomp reads this once, when it is first loaded, so it only takes effect if set before torch, faiss
# or xllamacpp is imported: hence here, as every entry point imports `assistant` before any of them.
# setdefault leaves a user's own choice alone.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
