"""Names written in code that a technical question asks for by their kind: a signal (SIGPIPE, TERM シグナル), an
error (EINVAL), a command-line option (-v), an environment variable (RES_OPTIONS), a file or a directory (/etc/hosts,
pam_env.conf), a command or a statement (tzselect(1), REFRESH コマンド, CREATE ROLE).

Such a name has a shape of its own, so the span that answers 「どのシグナルが送られますか」 or "which option …" is the
name of that shape in the sentence, however the words around it read.
"""

from __future__ import annotations

import re

from corpus.text import nfkc

# Each kind: the words that ask for one name of it (Japanese, English singular: "which two signals" asks for a list),
# and the shape of its names.
CODE_KINDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "signal": (re.compile(r"シグナル$|\bsignal$"), re.compile(r"\bSIG(?!NALS?\b)[A-Z][A-Z0-9]*\b|\b[A-Z][A-Z0-9]+(?= ?(?:シグナル|signal))")),
    "error": (re.compile(r"エラー(?:コード)?$|\berror(?: code)?$|\berrno$"),
              re.compile(r"\bE[A-Z][A-Z0-9]{2,}\b|\b[A-Z]\w*(?:Error|Exception)\b")),
    "option": (re.compile(r"オプション$|フラグ$|\b(?:option|flag|switch)$"),
               re.compile(r"(?<![\w\-/.])--?[A-Za-z0-9][\w\-]*")),
    "variable": (re.compile(r"^変数$|環境変数$|\benvironment variable$"),  # not 目的変数 (a model's target)
                 re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b[A-Z]{2,}\b")),
    "file": (re.compile(r"ファイル$|ディレクトリ$|フォルダ$|パス$|\b(?:file|directory|folder|path)$"),
             re.compile(r"(?<![\w.])~?/[A-Za-z0-9_.\-+/]*[A-Za-z0-9_]|(?<![\w/.\-])[A-Za-z0-9_\-]{2,}\.[a-z][a-z0-9]{0,5}\b(?![.\w])")),
    # a manual page reference (tzselect(1)), a name followed by the word command (REFRESHコマンド), upper-case
    # keywords (CREATE ROLE), or a lower-case word set in Japanese text (「… は dircolors を使用」)
    "command": (re.compile(r"コマンド$|SQL文$|ステートメント$|ツール$|ユーティリティ$|\b(?:command|statement|tool|utility)$"),
                re.compile(r"\b[a-z][\w.\-+]*(?=\(\d\w*\))|(?<![A-Za-z0-9_.\-])[A-Za-z0-9_.\-]+(?= ?(?:コマンド|command\b))|\b[A-Z]{2,}(?: [A-Z]{2,})*\b|"
                           r"(?<=[^\x00-\x7f] )[a-z][a-z0-9_\-]{2,}(?= [^\x00-\x7f])")),
}
# Kinds whose names are rare in prose, so that a sentence holding one is likely the answer's: options and paths fill
# whole manual pages (on dev, favouring them chose worse sentences for 4 questions and better for none).
RARE_CODE_KINDS = frozenset({"signal", "error", "command"})
# Kinds that are only ever answered with such a name: an evidence sentence without one does not answer. Options and
# files are not (「どの推論オプション」 → 非同期推論, 「どのファイル形式」).
NAMED_KINDS = frozenset({"signal", "error", "variable"})

# The noun a question asks a kind of: after どの/何の (the last one: 「どのシグナルを…どのオプションを付ければいい」), or
# before は/を and the question word (「設定ファイルはどれ」, 「使うオプションは？」); in English the words after which/what.
_JAPANESE_ASKED = re.compile(r"(?:どの|何の)([A-Z]*[ァ-ヶー一-龥]+)|([ァ-ヶー一-龥]+)(?:は|を)(?:何|どれ|[？?])")
# Nouns that a kind word modifies rather than heads: file extension, signal handler, error message.
_COMPOUND_HEADS = re.compile(r"(?:extension|name|size|format|system|descriptor|mode|type|handler|message|number|value|"
                             r"permission|owner|content|disposition|mask|set)s?")
_ENGLISH_ASKED = re.compile(r"\b(?:which|what)((?:\s+[\w\-.()]+){1,4})", re.IGNORECASE)


def asked_code_kind(text: str) -> str | None:
    """The kind of code name a question asks for (one of CODE_KINDS), from its asked noun: 「シグナル」 of
    「どのシグナル」, 「設定ファイル」 of 「設定ファイルはどれ」, "option" of "which fstab mount option"; None otherwise."""
    if matches := list(_ENGLISH_ASKED.finditer(text)):
        # the last which/what asks ("… finding out which value to put in TZ. Which tool is it?")
        nouns = []
        for match in reversed(matches):
            words = match.group(1).lower().split()
            # environment variable, then option; not the modifier of another noun (file of "file extension")
            nouns += [n for i in range(len(words)) for n in (" ".join(words[i:i + 2]), words[i])
                      if i + 1 >= len(words) or not _COMPOUND_HEADS.fullmatch(words[i + 1])]
    else:
        nouns = [m.group(1) or m.group(2) for m in _JAPANESE_ASKED.finditer(text)][::-1]
    for noun in nouns:
        for kind, (asking, _) in CODE_KINDS.items():
            if asking.search(noun):
                return kind
    return None


def is_kind_word(kind: str | None, word: str) -> bool:
    """Is `word` the noun that asks for `kind` (コマンド for a command)? A name of that kind answers it unsaid."""
    return kind is not None and bool(CODE_KINDS[kind][0].search(word))


def code_names(kind: str | None, question_text: str, sentence: str) -> list[str]:
    """The names of `kind`'s shape in `sentence` that the question does not state itself, in order."""
    if kind is None:
        return []
    stated = nfkc(question_text).lower()
    found = [m for m in CODE_KINDS[kind][1].finditer(sentence)
             if not re.search(rf"(?<![\w\-]){re.escape(nfkc(m.group(0)).lower())}(?![\w\-])", stated)]
    # names joined by a conjunction are one answer: 「CONTENT_TYPE または CONTENT_TRANSFER_ENCODING」, "SIGINT and SIGTERM"
    spans: list[list[int]] = []
    for match in found:
        if spans and _JOINED.fullmatch(sentence, spans[-1][1], match.start()):
            spans[-1][1] = match.end()
        else:
            spans.append([match.start(), match.end()])
    return list(dict.fromkeys(sentence[start:end] for start, end in spans))


# What joins names into a list: 「または」「もしくは」「および」「や」, "or", "and".
_JOINED = re.compile(r"\s*(?:または|もしくは|あるいは|および|及び|や)\s*|\s*,?\s+(?:or|and)\s+")
