"""The study assistant: settings, prompt, generator backends, the RAG pipeline and the CLI."""

import os

# llama.cpp and torch run their CPU threads through OpenMP; with the default ACTIVE wait policy a thread spins
# while its partner is descheduled, and on 2 cores one other busy process cut decoding from ~21 to ~1.5 tokens/s.
# libgomp reads this once, when first loaded, so it is set here, before anything imports torch or faiss.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
