"""Japanese noun phrases inside answer candidates, told by MeCab's parts of speech (fugashi + UniDic)."""

from __future__ import annotations

from corpus.text import tagged_spans, tagged_words

# Parts of speech that make a phrase a predicate rather than a noun phrase.
_PREDICATE_POS = frozenset({"動詞", "助動詞", "形容詞"})
# What may end a noun phrase: a noun, or a suffix that makes one (階層化, ファイル内).
_NOUN_END_POS = frozenset({"名詞", "接尾辞"})
# Particles that may join the nouns of one phrase: の (モデルの分類), や and と between listed nouns (分類や階層化).
_JOINING = frozenset({"の", "や", "と"})
# Particles that hand a noun to the predicate after them: 「1 と明記する」, 「REFRESHコマンドで更新する」.
_CASE_PARTICLES = frozenset({"と", "で", "に", "を", "が"})
# Verbs that turn the noun before them into a predicate (明記する, 実行される, 利用できる).
_LIGHT_VERBS = frozenset({"する", "さ", "し", "され", "でき", "できる", "せ"})


def _words(text: str) -> list[tuple[int, str, str, str]]:
    """(offset, surface, part of speech, its third level) of each MeCab word of `text`, offsets into `text` itself."""
    return [(at, word.surface, word.feature.pos1, word.feature.pos3) for at, word in tagged_spans(text)]


def is_noun_phrase(text: str) -> bool:
    """Is `text` one Japanese noun phrase (「モデルの分類や階層化」, 「整理」, 「99.5%」), with no predicate in it? A noun
    that serves as an adverb (実際, 今回) ends none."""
    words = [w for w in _words(text) if w[2] != "空白"]
    if not words or (words[-1][2] not in _NOUN_END_POS and words[-1][1] not in ("%", "％")) or words[-1][3] == "副詞可能":
        return False
    return all(pos not in _PREDICATE_POS and (pos != "助詞" or surface in _JOINING) for _, surface, pos, _ in words)


def slot_filler(text: str) -> str:
    """The noun phrase that opens a clause and fills its predicate's slot: 「1」 of 「1 と明記する必要があり」,
    「REFRESHコマンド」 of 「REFRESHコマンドで更新することができる」; `text` itself when it opens on no such phrase."""
    words = _words(text)
    for k, (at, surface, pos, _) in enumerate(words[1:-1], start=1):
        if pos != "助詞" or surface not in _CASE_PARTICLES:
            continue
        after = words[k + 1]
        if surface == "と" and after[1] in ("し", "する"):
            continue  # として, とする: the noun is named as something, not handed to a predicate
        if after[2] == "動詞" or (after[2] == "名詞" and k + 2 < len(words) and words[k + 2][1] in _LIGHT_VERBS):
            head = text[:at].strip()  # the first particle that hands a noun to a predicate decides
            return head if is_noun_phrase(head) else text
    return text


# Parts of speech that end a predicate (使える, よい, 使った, 大丈夫), and the sentence-final particles after one (の, よね).
_PREDICATE_END_POS = frozenset({"動詞", "形容詞", "助動詞", "形状詞"})
_FINAL_PARTICLES = frozenset({"の", "か", "よ", "ね", "な"})


def ends_on_predicate(text: str) -> bool:
    """Does Japanese `text` end on a predicate, sentence-final particles aside (「指定できる」, 「使ったの」), not a noun?"""
    words = [(surface, pos) for surface, pos in tagged_words(text) if pos not in ("補助記号", "空白")]
    while words and words[-1][1] == "助詞" and words[-1][0] in _FINAL_PARTICLES:
        words.pop()
    return bool(words) and words[-1][1] in _PREDICATE_END_POS
