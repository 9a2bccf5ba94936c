"""English sentence ends: a full stop before a capital, past closing quotes; not inside e.g., Dr., 2.6.11."""

from __future__ import annotations

import pytest

from corpus.chunking import split_sentences


@pytest.mark.parametrize("line, expected", [
    ("It works. Really!", ["It works. ", "Really!"]),
    ("The size (e.g., 4096 bytes on i386). Since Linux 2.6.11, it is 16 pages.",
     ["The size (e.g., 4096 bytes on i386). ", "Since Linux 2.6.11, it is 16 pages."]),
    ("It is e.g. fine. Next.", ["It is e.g. fine. ", "Next."]),
    ("Dr. Smith said \"Stop.\" Then he left.", ["Dr. Smith said \"Stop.\" ", "Then he left."]),
    ("See **fcntl**(2). **Done.** Next.", ["See **fcntl**(2). ", "**Done.** ", "Next."]),
    ("Use file.txt or v1.4 here.", ["Use file.txt or v1.4 here."]),
    ("これはペンです。It is a pen. あれは本です。", ["これはペンです。", "It is a pen. ", "あれは本です。"]),
])
def test_english_sentence_ends(line, expected):
    assert split_sentences(line) == expected
