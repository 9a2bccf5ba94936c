"""The answer step: from a question and an index to an Answer with its sources.

pipeline (retrieve → choose evidence → abstain or plan → generate) · evidence (sentence choice) · spans (answer
candidates inside a sentence) · words (what a question asks, word weights) · abstention · plan (prompt, constraint
and streaming of one generator call) · prompt · grounding (support of an answer) · language.
"""
