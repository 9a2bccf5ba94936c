"""Answer candidates inside an evidence sentence: the stretches that the question's own words do not cover."""

from __future__ import annotations

import re
from collections.abc import Iterator

from corpus.chunking import HEADING_SEPARATOR, units
from corpus.text import (
    CLAUSE_MARKS, HIRAGANA_RUN, KANJI, KATAKANA, LATIN_DIGITS, PARTICLES, SYMBOL_RUN, TRAILING_CONNECTIVES, WORD_CHARS, folded,
    comparable, english_stop_words, inline_plain, language, nfkc, word_boundaries,
)

from assistant.answer.codes import code_names
from assistant.answer.phrases import is_noun_phrase, slot_filler
from assistant.answer.question import Question
from assistant.answer.words import NUMBER_WORD, counted_numbers, has_counted_number, without_references

# Shared stretches shorter than this are chance overlaps (particles, single kanji), not the question's words.
MIN_SHARED_CHARS = 2
# A shared stretch of only hiragana must be at least this long to count (okurigana and particles recur everywhere).
MIN_SHARED_KANA = 3
_WORD_CHAR = re.compile(r"[a-z0-9_]")  # an identifier with underscores (RES_OPTIONS) is one word
# Where a candidate ends: sentence and clause punctuation, brackets, table cells, <br> and list dots.
_BREAKS_KEPT = re.compile(r"(<br>|[。、|：:「」『』（）()<>・]|\s{2,})")
# Where a whole-clause answer (a definition, a description) ends: sentences, quotes and cells, not commas or brackets.
_CLAUSE_BREAKS = re.compile(r"<br>|[。|「」『』<>]|\s{2,}")
# Particles and marks that may not open or close an answer (「は毎年4月に」 → 「毎年4月」).
# A hyphen stays when it opens a value or an option (-7, -d, --directory).
# An English copula opens a value's clause ("is two pages"), not the value.
# An example marker ("such as") opens the examples, not part of them.
# A conjunction that opens a stretch (「もしくは空白」) goes whole, not as its first kana (「しくは空白」).
# Manual pages quote a value roff-style, ``noauto'': the marks are not part of it.
_LEADING = re.compile(
    rf"^(?:もしくは|または|あるいは|および|ならびに|かつ(?=[\s、])|[{PARTICLES}{CLAUSE_MARKS}\s|()（）「」『』※>=`]|-(?!-?[0-9A-Za-z])|による|よる|(?:is|are|was|were|or|and|such as|e\.g\.,?|for example,?)\s)+")
# A copula closes a value's sentence (「-7 です」), not the value; so does the full stop after an English word.
_TRAILING = re.compile(
    rf"(?:[{PARTICLES}{CLAUSE_MARKS}\s|(（「『\-※=]|''|{'|'.join(TRAILING_CONNECTIVES)}|によって|あたり|です|である|(?<=[a-z]{{2}})\.)+$")
# Items of an enumeration (Recall、Precision、Accuracy): names that stay together as one candidate.
_LIST_ITEM = re.compile(rf"[{LATIN_DIGITS}{KATAKANA}][{LATIN_DIGITS}{KATAKANA}\-. ]{{0,30}}")
_LIST_SEPARATORS = ("、", "・", ",")
# A one-character stretch (「表」 from 「(表)」) is an aside, tried after longer ones; but a digit is a value when the
# question asks for a thing (「fs_passno には何を指定しますか」: 「1」).
MIN_CANDIDATE_CHARS = 2
# A stretch that ends like this states a condition (「ファイル出力する場合」), which rarely answers a question.
_CONDITION_ENDS = ("場合", "とき", "時には")
# An English stretch that only points back at the sentence's subject and stops at its verb ("This directory
# contains", "It is"): what it contains is the answer, not it.
_POINTER_ONLY = re.compile(r"(?:this|these|that|those|it|they)(?: \w+)? (?:contains?|holds?|is|are|was|were|has|have|"
                           r"includes?|provides?|stores?)", re.IGNORECASE)
# Characters that make up words (not particles): a question word glued to one of these belongs to the answer.
_CONTENT_CHAR = re.compile(f"[{WORD_CHARS}%％]")
_ASCII_WORD_CHAR = re.compile(f"[{LATIN_DIGITS}]")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")


def plain_sentence(sentence: str) -> str:
    """A table row as its cells joined by spaces, a list item without its marker, and no inline Markdown markup
    (**bold**, `code`, [link](url), escapes): what the answer may be copied from."""
    text = sentence.strip()
    if text.startswith("|"):
        return " ".join(inline_plain(cell).strip() for cell in text.strip("|").split("|") if cell.strip())
    return inline_plain(_LIST_MARKER.sub("", text))


def _is_whole_word(haystack: str, start: int, end: int, breaks: frozenset[int]) -> bool:
    """An ASCII match must not cut a longer ASCII word (「ML」 inside 「MLflow」), nor a word joined by hyphens
    (status of --preserve-status); dropped spaces still separate words."""
    before = start > 0 and start not in breaks and _WORD_CHAR.match(haystack[start]) and (
        _WORD_CHAR.match(haystack[start - 1])
        or (haystack[start - 1] == "-" and start - 1 not in breaks and start > 1 and _WORD_CHAR.match(haystack[start - 2])))
    after = end < len(haystack) and end not in breaks and _WORD_CHAR.match(haystack[end - 1]) and (
        _WORD_CHAR.match(haystack[end])
        or (haystack[end] == "-" and end + 1 < len(haystack) and end + 1 not in breaks and _WORD_CHAR.match(haystack[end + 1])))
    return not (before or after)


def _shares(question: Question, piece: str) -> bool:
    """Does the question contain `piece` as whole words (in its folded form)?"""
    if len(piece) < MIN_SHARED_CHARS or (HIRAGANA_RUN.fullmatch(piece) and len(piece) < MIN_SHARED_KANA):
        return False
    start = question.folded.find(piece)
    while start >= 0:
        if _is_whole_word(question.folded, start, start + len(piece), question.breaks):
            return True
        start = question.folded.find(piece, start + 1)
    return False


def covered_by_question(question: Question, text: str) -> list[bool]:
    """For each character of `text`: is it part of a stretch that the question also contains?

    Greedy longest match, left to right, on NFKC lower-cased text without whitespace.
    """
    haystack, positions, breaks = folded(text)
    covered = [False] * len(text)
    i = 0
    while i < len(haystack):
        length = next(
            (n for n in range(len(haystack) - i, MIN_SHARED_CHARS - 1, -1)
             if _is_whole_word(haystack, i, i + n, breaks) and _shares(question, haystack[i : i + n])),
            0,
        )
        for k in range(i, i + length):
            covered[positions[k]] = True
        i += length or 1
    return covered


def _snapped_to_words(text: str, covered: list[bool]) -> list[bool]:
    """Uncover the ends of a shared stretch that lie inside a word of `text`: the る of 「による」 that a question's
    「使えるオーバーサンプリング」 shares is part of the sentence's own word, which stays whole in the answer."""
    if not any(covered) or text.isascii():
        return covered
    bounds = word_boundaries(text)
    snapped = list(covered)
    for i, j in _covered_runs(covered):
        start = min((b for b in bounds if i <= b), default=j)
        end = max((b for b in bounds if b <= j), default=i)
        if start >= end:
            snapped[i:j] = [False] * (j - i)
        else:
            snapped[i:start] = [False] * (start - i)
            snapped[end:j] = [False] * (j - end)
    return snapped


def _covered_runs(covered: list[bool]) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of covered characters."""
    i, n = 0, len(covered)
    while i < n:
        if not covered[i]:
            i += 1
            continue
        j = i
        while j < n and covered[j]:
            j += 1
        yield i, j
        i = j


def _release_glued(text: str, covered: list[bool], names_only: bool = False) -> list[bool]:
    """Uncover question words glued to uncovered word characters: 「モデル」 in 「モデル最適化」, 「AWS」 in 「AWS Skill Builder」.

    Such a word modifies or names the answer rather than restating the question. ASCII words count as glued
    across one space; other scripts only when they touch.
    """
    released = list(covered)
    for i, j in _covered_runs(covered):
        # Across languages (a Japanese question's English words over an English sentence) every word touches its
        # neighbours across a space: only the parts of a name (AWS Skill Builder) are glued there.
        names = names_only and (text[i].isupper() or text[i].isdigit())
        if _CONTENT_CHAR.match(text[i]) and _CONTENT_CHAR.match(text[j - 1]) and (
            _glued(text, covered, i - 1, i, -1, names_only, names) or _glued(text, covered, j, j - 1, 1, names_only, names)
        ):
            released[i:j] = [False] * (j - i)
    return released


# An enumeration of quoted values ('date', 'hours', 'ns' or 「A」、「B」): its items belong together.
_QUOTED_LIST = re.compile(r"""(['"‘“「][^'"’”」]{1,30}['"’”」])(?:\s*[,、]\s*['"‘“「][^'"’”」]{1,30}['"’”」])+""")


def _release_listed(text: str, covered: list[bool]) -> list[bool]:
    """Uncover the question's words inside an enumeration of quoted values: 'date' of 「FMT は 'date', 'hours', 'ns'」
    for a question about the date command is one of the values, not the question's own word."""
    released = list(covered)
    for match in _QUOTED_LIST.finditer(text):
        released[match.start():match.end()] = [False] * (match.end() - match.start())
    return released


def _glued(text: str, covered: list[bool], k: int, edge: int, step: int, names_only: bool = False,
           name: bool = False) -> bool:
    """Is the uncovered char next to `edge` (at k, or past one space for ASCII) a word character? With `names_only`,
    past a space only when both words are parts of a name (`name`, and a capitalised neighbour)."""
    if 0 <= k < len(text) and text[k] == " " and _ASCII_WORD_CHAR.match(text[edge]):
        if names_only and not (name and _capitalised_word_at(text, k + step, step)):
            return False
        k += step
        return 0 <= k < len(text) and not covered[k] and bool(_ASCII_WORD_CHAR.match(text[k]))
    return 0 <= k < len(text) and not covered[k] and bool(_CONTENT_CHAR.match(text[k]))


def _capitalised_word_at(text: str, k: int, step: int) -> bool:
    """Does the word that has a character at k (reading in `step` direction from its edge) start with a capital or a
    digit, as the parts of a name do (Skill of AWS Skill Builder)?"""
    while step < 0 and k > 0 and _ASCII_WORD_CHAR.match(text[k - 1]):
        k -= 1
    return 0 <= k < len(text) and (text[k].isupper() or text[k].isdigit())


# The particles after which a word modifies the phrase that follows it: 「モデルの分類」, 「JSONを複数行出力する…」.
_MODIFYING = ("の", "を")
# Characters of one script, which run on into one word: katakana (モデルコレクション), kanji, Latin letters and digits.
_SCRIPTS = (re.compile(f"[{KATAKANA}]"), re.compile(f"[{KANJI}]"), re.compile(f"[{LATIN_DIGITS}]"))


def _same_script(a: str, b: str) -> bool:
    return any(script.match(a) and script.match(b) for script in _SCRIPTS)


def _inside_longer_words(question: Question, piece: str) -> bool:
    """Does the question hold `piece` only as the part of a longer word of the same script (モデル of
    モデルコレクション, JSON of JSON Lines), never as a word of its own?"""
    text = question.folded
    starts = [i for i in range(len(text)) if piece and text.startswith(piece, i)]
    return bool(starts) and all(
        (start > 0 and _same_script(piece[0], text[start - 1]))
        or (start + len(piece) < len(text) and _same_script(piece[-1], text[start + len(piece)]))
        for start in starts)


def _release_modifiers(question: Question, text: str, covered: list[bool]) -> list[bool]:
    """Uncover a word that modifies the stretch after it (「モデルの分類や階層化」) when the question holds it only inside a
    longer word (「モデルコレクション」): the answer's phrase is the notes' whole phrase, not the question's word."""
    released = list(covered)
    for i, j in _covered_runs(covered):
        if (j + 1 < len(text) and text[j] in _MODIFYING and not covered[j + 1] and _CONTENT_CHAR.match(text[j + 1])
                and _inside_longer_words(question, folded(text[i:j])[0])):
            released[i:j] = [False] * (j - i)
    return released


def _only_stop_words(piece: str) -> bool:
    """Is `piece` English words that carry nothing alone ("for", "of the")?"""
    words = piece.lower().split()
    return bool(words) and piece.isascii() and all(w in english_stop_words() for w in words)


def _trimmed(piece: str) -> str:
    return _TRAILING.sub("", _LEADING.sub("", piece)).strip()


def answer_candidates(question: Question, sentence: str, term: str | None = None) -> tuple[str, ...]:
    """The stretches of `sentence` outside the question's words, cut at punctuation, best guess first.

    Document order, except that a question asking for an amount puts stretches with a number first
    (and, among them, those with the asked-for unit). Empty when the sentence only repeats the question.
    `term`: the definition-list term that the sentence describes (`definition_term`), first when the question asks
    which one it is.
    """
    found = _candidates(question, sentence)
    if term and asks_for_the_term(question, sentence) and not _names_the_term(question, term):
        return tuple(dict.fromkeys([term, *found]))
    return found


def _candidates(question: Question, sentence: str) -> tuple[str, ...]:
    stretches: list[str] = []
    for text in _cells(sentence):  # a table row's cells never run into each other
        crossed = question.language == "ja" and language(text) == "en"
        covered = _release_listed(text, _release_glued(text, _snapped_to_words(text, covered_by_question(question, text)),
                                                       names_only=crossed))
        covered = _release_modifiers(question, text, covered)
        current: list[str] = []
        for char, is_covered in zip(text, covered):
            if is_covered:
                stretches.append("".join(current))
                current = []
            else:
                current.append(char)
        stretches.append("".join(current))
    found = []
    noun = asks_for_a_noun(question)
    for stretch in stretches:
        for piece in _pieces(stretch):
            piece = _trimmed(piece)
            if noun and language(piece) == "ja":
                piece = slot_filler(piece)  # 「何を指定しますか」: 「1」 of 「1 と明記する必要があり」
            if piece and not HIRAGANA_RUN.fullmatch(piece) and not SYMBOL_RUN.fullmatch(piece):
                found.append(piece)
    found = list(dict.fromkeys(found))
    counter, wants_number = question.counter, question.wants_number
    plain = plain_sentence(sentence)
    slot = [comparable(w) for w in question.attribute if len(comparable(w)) >= 2]
    # In Japanese text a stretch in Latin letters stands out as a name; in English text every stretch is Latin.
    which = question.language == "en" and bool(_WHICH.search(question.text))
    asks_kind = language(plain) == "ja" and (bool(question.kind_asked) or which)
    # a version or a manual section (Linux 2.6.35, inetd(8)) is no number an amount question asks for
    found.sort(key=lambda p: (wants_number and not (re.search(r"\d", without_references(p)) or NUMBER_WORD.search(p)),
                              bool(counter) and not has_counted_number(p, counter),
                              # 「何を実行しますか」: the stretch the sentence goes on to do that to (「Lambdaの実行」)
                              not (_followed_by(plain, p, question.predicate) or _owned_by(plain, p, question.owner)
                                   or any(_told_of(plain, p, t) for t in (question.bare_topic, *question.asked_noun))),
                              # 「RFC は何ですか」: the stretch that carries the asked noun (「RFC 952」) fills the slot
                              not any(w in comparable(p) for w in slot),
                              # 「どの環境変数」, "which organization": a name or a code written in Latin letters
                              asks_kind and not _LATIN_NAME.fullmatch(p),
                              p.endswith(_CONDITION_ENDS) or (len(p) < MIN_CANDIDATE_CHARS and not (noun and p.isdigit()))
                              or bool(_POINTER_ONLY.fullmatch(p)) or _only_stop_words(p),
                              -_context_overlap(question, plain, p) if wants_number else 0))
    # 何倍/何問/何周: the amount itself, even where the question's words cut its unit off (「10倍」, not 「10」); of
    # several, the one whose lead-in shares the question's words (「現状では 3 台」 for 「現状で最大何台」).
    amounts = counted_numbers(question.stated_numbers, sentence, counter) if counter else []
    quoted = [q for q in _QUOTED.findall(plain) if q in found and not _shares(question, folded(q)[0])]
    if len(quoted) > 1 and not (wants_number or question.wants_phrase or question.wants_date):
        # 「独自スクリプト」 or 「独自コンテナ」: the quoted name whose lead-in shares the question's words (max keeps the
        # first of ties), then the others.
        best = max(quoted, key=lambda q: _context_overlap(question, plain, q))
        found = [best, *[p for p in found if p != best]]
    if question.wants_date and (dates := DATE.findall(plain)):
        # いつ / when: the date itself (「2025/02/13」, 「March 19, 2015」, 「毎年4月」), before any other stretch.
        found = [*dates, *found]
    if question.wants_person and (names := names_in(question, sentence)):
        # 誰 / who: the names in the sentence (「David MacKenzie」), before any other stretch.
        found = [*names, *found]
    if question.wants_effect:
        # 「…処理するため、スループット向上…ができる」: a benefit or an effect is the clause that follows its cause.
        found.sort(key=lambda p: not _after_cause(plain, p))
    if question.asked == "yesno" and not re.search(r"\bor\b", question.text):
        # Yes or no: the clause that ends the sentence, where its predicate settles it (「…ので、来年も続けていこうと思います」).
        settled = _asked_clause(question, plain.rstrip("。. ")) or _settling_clause(plain.rstrip("。. "))
        if len(settled) >= MIN_CANDIDATE_CHARS:
            return tuple(dict.fromkeys([settled, *found]))
    if question.kind_asked:
        # 「どの評価指標」: a candidate followed by (の)評価指標 in the sentence is named with it (「分類モデルの評価指標」).
        found = [_with_kind(question.kind_asked, plain, p) for p in found]
    if question.wants_phrase:
        # A definition or a description is the whole clause, commas, brackets and its head noun included: the
        # longest clause of the sentence once the question's own leading words (its subject) are dropped.
        clauses = [_trimmed(_without_leading_cover(question, c)) for cell in _cells(sentence)
                   for c in _CLAUSE_BREAKS.split(cell)]
        longest = max(clauses, key=len, default="")
        # 「どんなジョブを」: a stretch named with the asked kind (「…連続したジョブ」) is the thing itself, before the clause
        kinds = [p for p in found if question.kind_asked and p.endswith(question.kind_asked) and p != question.kind_asked]
        if len(longest) >= MIN_CANDIDATE_CHARS:
            found = [*kinds[:1], longest, *found]
    if question.wants_outcome and (outcome := _outcome_clause(question, plain)):
        found = [outcome, *found]
    if question.wants_reason and (reason := _reason_clause(question, plain)):
        found = [reason, *found]
    if named := code_names(question.code_kind, question.text, plain):
        # 「どのシグナル」, "which option": the names of the asked kind's shape (SIGPIPE, -v), before any other stretch
        found = [*named, *found]
    if chosen := [o for o in question.options if comparable(o) in comparable(plain)]:
        # 「分類モデルと回帰モデルのどちら」: the choice the sentence names; of both, the one whose lead-in shares the
        # question's words (max keeps the first of ties). The question's own words are never candidates otherwise.
        best = max(chosen, key=lambda o: _context_overlap(question, plain, o))
        return tuple(dict.fromkeys([best, *found]))
    if amounts:
        best = max(amounts, key=lambda a: _context_overlap(question, nfkc(plain), a))  # max keeps the first of ties
        return tuple(dict.fromkeys([best, *found]))
    return tuple(dict.fromkeys(found))


# A definition list's term line, as pandoc writes man pages and glossaries: emphasised names, commas, slashes and bracketed
# arguments only (「**-d**, **--directory**」, 「*/etc/skel*」, 「**--color**\\[=*WHEN*\\]」), a manual section after a name
# included (「**tgkill**(2)」), and an argument after an option (「**--kill-after**=*DURATION*」).
_TERM_TAIL = r"(?:\(\d\w*\)|=\*{0,2}[^*\s,]+\*{0,2})?"  # a manual section (2), or an argument =*DURATION*
# A note on when the term applies may close the line, as man pages write it: 「(since Linux 2.6.35)」, 「(glibc 2.26 以降)」.
_TERM_NOTE = r"\s+\([^()*]{1,40}\)"
_TERM_LINE = re.compile(rf"^\*{{1,2}}[^*\s][^*]*\*{{1,2}}{_TERM_TAIL}(?:[\s,/]*(?:\*{{1,2}}[^*]+\*{{1,2}}{_TERM_TAIL}|\\?\[[^\]]*\]))*(?:{_TERM_NOTE})?[\s,]*$")
MAX_TERM_CHARS = 60
# A sentence that points back at what it describes: 「This directory contains …」, 「この機能は …」.
_POINTS_BACK = re.compile(r"\b(this|these)\s+[a-z]+|(この|その)[^\s、。]", re.IGNORECASE)


# A name or a code in Latin letters (RES_OPTIONS, Network Information Control Center, -k, /var/yp), what a question
# for a thing of some kind (「どの環境変数」, "which organization") is answered with in technical notes.
_LATIN_NAME = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9_\-./:$%@+*=]+(?:[ ,][A-Za-z0-9_\-./:$%@+*=()]+)*")
_WHICH = re.compile(r"\bwhich\b", re.IGNORECASE)


def is_term_line(unit: str) -> bool:
    """Is `unit` a definition list's term line (「**-d**, **--directory**」), a label rather than a statement?"""
    return len(unit) <= MAX_TERM_CHARS and bool(_TERM_LINE.match(unit))


def definition_term(chunk_text: str, sentence: str) -> str | None:
    """The term of the definition-list item that `sentence` (a unit of `chunk_text`) belongs to, as plain text
    (「-d, --directory」 for 「ディレクトリの内容ではなく…」 under 「**-d**, **--directory**」), or None."""
    found = units(chunk_text)
    if sentence not in found:
        return None
    for unit in reversed(found[: found.index(sentence)]):
        if is_term_line(unit):
            # the names only, without their arguments (「--kill-after=DURATION」, 「--color[=WHEN]」 → the option)
            # and without a closing note on when it applies (「no-reload (glibc 2.26 以降)」 → no-reload)
            return re.sub(rf"\[=[^\]]*\]|=[^\s,]+|{_TERM_NOTE}\s*$", "", inline_plain(unit)).strip() or None
    return None


# A heading that names a product in Latin letters, every word capitalised (Amazon SageMaker Debugger, JSON Lines), not
# a manual page's section (DESCRIPTION, Standard signals, I/O on pipes and FIFOs), a single word (Encoding) or a
# heading that goes on in Japanese (Amazon SageMaker AI推論オプション).
_NAME_HEADING = re.compile(r"(?=.*[a-z])[A-Z0-9][A-Za-z0-9.\-]*(?: [A-Z0-9][A-Za-z0-9.\-]*)+")


def heading_term(question: Question, heading_path: str) -> str | None:
    """The name a section's heading gives its sentences' subject (「Amazon SageMaker Debugger」 over 「モデルの問題を検出、
    修正するための機能」) when the heading is such a name and the question does not name it by its last word
    (「SageMaker Debuggerって何のための機能？」 asks about it, not for it); else None."""
    heading = inline_plain(heading_path.rsplit(HEADING_SEPARATOR, 1)[-1]).strip()
    if not _NAME_HEADING.fullmatch(heading) or _shares(question, folded(heading.split()[-1])[0]):
        return None
    return heading


def _names_the_term(question: Question, term: str) -> bool:
    """Does the question name one of the term's items (-d of 「-d, --directory」, --color of 「--color[=WHEN]」)?"""
    items = (re.sub(r"\[.*?\]", "", item).strip() for item in term.split(","))
    return any(_shares(question, folded(item)[0]) for item in items if item)


def asks_for_the_term(question: Question, sentence: str) -> bool:
    """Does the question ask which thing a definition describes: a name of a given kind (「どのオプション」, "which
    directory"), or any name when the sentence points back at its term ("files from this directory")?"""
    if question.wants_number or question.wants_date or question.wants_phrase or question.wants_person or question.asked == "yesno":
        return False
    kind = bool(question.kind_asked) or (question.language == "en" and re.search(r"\bwhich\s+[a-z]", question.text, re.IGNORECASE))
    return bool(kind) or bool(_POINTS_BACK.search(sentence)) or _asks_a_kind_the_sentence_omits(question, sentence)


# 「…ときに付けるオプションは？」: a question ending on the kind of thing it asks for.
_ENDS_ON_KIND = re.compile(r"([\u30a1-\u30fc\u4e00-\u9fff]{2,})は\s*(?:何|なに|どれ)?\s*(?:ですか|でしょうか)?\s*[?？]?\s*$")


def _asks_a_kind_the_sentence_omits(question: Question, sentence: str) -> bool:
    """Does a Japanese question end on the kind it asks for (オプション of 「…付けるオプションは？」) that the sentence
    never names? Then the sentence describes one thing of that kind, which its definition term names."""
    match = _ENDS_ON_KIND.search(question.text)
    return bool(match) and comparable(match.group(1)) not in comparable(sentence)


# A name the notes set in 「」 (「独自コンテナ」), as Japanese text marks a named thing.
_QUOTED = re.compile(r"「([^「」]{2,30})」")


# Dates as notes write them: 2025/02/13, 2015-03-19, 2025年2月13日, 毎年4月, March 19, 2015, 19 March 2015.
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
DATE = re.compile(
    r"\d{4}[/\-]\d{1,2}[/\-]\d{1,2}|(?:毎年|毎月)?(?:\d{4}年)?\d{1,2}月(?:\d{1,2}日)?(?:頃)?|\d{4}年(?:度)?|"
    rf"{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|\d{{1,2}} {_MONTH} \d{{4}}|{_MONTH} \d{{4}}"
)


# Names of people and organisations as notes write them in Latin letters: capitalised words, initials included,
# several joined by and / および / と / 、 (「Richard M. Stallman および David MacKenzie」, 「Google」).
_NAME_WORDS = r"[A-Z][A-Za-z.\-']*(?: (?:[A-Z][A-Za-z.\-']*|van|von|de))*"
PERSON = re.compile(rf"{_NAME_WORDS}(?:\s*(?:および|及び|と|、|,|and)\s*{_NAME_WORDS})*")


def names_in(question: Question, sentence: str) -> list[str]:
    """The Latin names of `sentence` that the question does not name itself: who an answer to 誰/who can be."""
    asked = {comparable(n) for n in question.names}
    plain = plain_sentence(sentence)
    found = [m for m in PERSON.finditer(plain)
             if comparable(m.group()) not in asked and not _shares(question, folded(m.group())[0])]
    # A name followed by は is what the sentence is about (「TensorBoadはGoogleの…」), not who made or did it.
    found.sort(key=lambda m: plain.startswith("は", m.end()))
    return [m.group().strip() for m in found]


# Connectives after which a sentence states what its first clause brings about.
_CAUSES = ("ため、", "ので、", "ことで", "により", "によって", "so that", "which allows", "thus", "therefore")


def _after_cause(sentence: str, candidate: str) -> bool:
    """Does `candidate` come after a causal connective of `sentence` (the effect of what precedes it)?"""
    start = sentence.find(candidate)
    return start > 0 and any(0 <= sentence.rfind(c, 0, start) for c in _CAUSES)


# How far before a candidate its lead-in reaches, in characters.
LEAD_IN_CHARS = 12


# What may stand between a noun and the word that governs it: a case particle, or として (「ホストテーブルを使用」).
_GOVERNED_BY = re.compile(rf"\s*(?:として|[{PARTICLES}])?\s*")


def _followed_by(sentence: str, candidate: str, predicate: str) -> bool:
    """Does `candidate` stand in `sentence` right before `predicate`, past one particle (「Lambda」+「の実行」)?"""
    if not predicate:
        return False
    at = sentence.find(candidate)
    if at < 0:
        return False
    end = at + len(candidate)
    gap = _GOVERNED_BY.match(sentence, end)
    return sentence.startswith(predicate, gap.end() if gap else end)


def _owned_by(sentence: str, candidate: str, owner: str) -> bool:
    """Does `candidate` follow 「`owner`の」 in `sentence` (「候補の割合」 for 「候補の何」)?"""
    at = sentence.find(candidate)
    return bool(owner) and at > 0 and sentence[:at].rstrip().endswith(f"{owner}の")


def _told_of(sentence: str, candidate: str, topic: str) -> bool:
    """Does `candidate` follow 「`topic`は」 (or が, ：) in `sentence`, as the value the sentence gives it (「可用性は99.5%」)?"""
    at = sentence.find(candidate)
    return bool(topic) and at > 0 and bool(re.search(rf"{re.escape(topic)}\s*(?:は|が|:|：)?\s*$", sentence[:at]))


def _context_overlap(question: Question, sentence: str, candidate: str) -> int:
    """How many of the question's content words appear just before `candidate` in `sentence`."""
    at = sentence.find(candidate)
    if at < 0:
        return 0
    lead_in = comparable(sentence[max(0, at - LEAD_IN_CHARS):at])
    return sum(1 for w in question.content_words if len(comparable(w)) >= 2 and comparable(w) in lead_in)


def _with_kind(kind: str, sentence: str, candidate: str) -> str:
    """`candidate` extended by the asked kind when the sentence names it right after (「分類モデル」+「の評価指標」)."""
    at = sentence.find(candidate)
    if at < 0:
        return candidate
    rest = sentence[at + len(candidate):]
    for joint in ("の", ""):
        if rest.startswith(joint + kind):
            return candidate + joint + kind
    return candidate


# Where a Japanese sentence joins a clause to the one that ends it: a comma, or a reason (ので, ため、).
_CLAUSE_JOIN = re.compile(r"[、，]|(?<=ので)|(?<=ため)(?=、)")
# A last clause shorter than this (「ない」) does not settle a question alone: the whole sentence does.
MIN_SETTLING_CHARS = 4
# An English clause after a colon or a semicolon, and how many words it needs to stand alone.
_ENGLISH_CLAUSE_JOIN = re.compile(r"[:;]\s+")
MIN_SETTLING_WORDS = 3


def _settling_clause(sentence: str) -> str:
    """The clause that ends a Japanese sentence, where its predicate says yes or no (「…取得したので特に書くこともなく
    記事にしていません」 → 「特に書くこともなく記事にしていません」); in an English sentence the clause after its last colon
    or semicolon, which states what the first part leads up to ("… is a byte stream: there is no concept of message
    boundaries"); a short last clause, or an English sentence without one, whole."""
    if language(sentence) != "ja":
        last = _ENGLISH_CLAUSE_JOIN.split(sentence)[-1].strip()
        return last if len(last.split()) >= MIN_SETTLING_WORDS else sentence
    last = _CLAUSE_JOIN.split(sentence)[-1].strip()
    return last if len(last) >= MIN_SETTLING_CHARS else sentence


def _asked_clause(question: Question, sentence: str) -> str:
    """When a Japanese sentence settles a yes/no question before its last clause (「…の下位資格という位置付けではないため、
    両方更新が必要です」 for 「…という位置付けなのですか」): that clause from the question's last word on
    (「位置付けではない」); "" when the last clause holds that word or no clause does."""
    words = [w for w in question.content_words if len(w) >= MIN_SHARED_CHARS]
    if question.language != "ja" or language(sentence) != "ja" or not words:
        return ""
    asked = words[-1]
    clauses = [c.strip() for c in _CLAUSE_JOIN.split(sentence)]
    if len(clauses) < 2 or asked in nfkc(clauses[-1]).lower():
        return ""
    for clause in reversed(clauses[:-1]):
        haystack, positions, _ = folded(clause)
        if (found := haystack.find(asked)) >= 0:
            at = positions[found]
            while at > 0 and _CONTENT_CHAR.match(clause[at - 1]):  # the whole word: 位置付け, not its 付け
                at -= 1
            return re.sub(r"(?:ので|ため)$", "", clause[at:]).strip()
    return ""


# A clause that gives a reason ends on one of these (「…現実的でないため、」, 「…バイナリファイルなので」).
_REASON_END = re.compile(r"(?:な|だ)?(?:ので|ため(?:に)?|から)[、,]?")
# What is left of a reason once the question's words are dropped must be this long to stand alone.
MIN_REASON_CHARS = 4


def _reason_clause(question: Question, sentence: str) -> str:
    """The reason a Japanese sentence gives: the clause before its first ので / ため / から, from after the last stretch
    the question repeats that leaves enough (「.parquetのバイナリファイルなので」 → 「バイナリファイル」), else without the
    question's leading words; "" when the sentence gives none."""
    end = _REASON_END.search(sentence)
    if not end or language(sentence) != "ja":
        return ""
    clause = re.split(r"[、，,]", sentence[: end.start()])[-1]
    for _, stop in reversed(list(_covered_runs(covered_by_question(question, clause)))):
        if len(rest := _trimmed(clause[stop:])) >= MIN_REASON_CHARS:
            return rest
    return _trimmed(_without_leading_cover(question, clause))


def _outcome_clause(question: Question, sentence: str) -> str:
    """What a sentence says becomes of the question's subject: the stretch after the last one the question repeats that
    leaves enough, to the end of its clause (「…に合格するとAIFも合わせて期限が更新されます」 → 「合わせて期限が更新されます」,
    "the dispositions of ignored signals are left unchanged" → "left unchanged"); "" when none does."""
    for _, stop in reversed(list(_covered_runs(covered_by_question(question, sentence)))):
        rest = _trimmed(re.split(r"[;；。]|\.\s", sentence[stop:])[0].lstrip(", "))  # not ", then read(2) will block"
        if len(rest) >= MIN_REASON_CHARS and not SYMBOL_RUN.fullmatch(rest):
            return rest
    return ""


def _without_leading_cover(question: Question, clause: str) -> str:
    """`clause` from its first character that the question does not cover."""
    covered = _release_glued(clause, covered_by_question(question, clause))
    start = next((i for i, c in enumerate(covered) if not c and not clause[i].isspace()), len(clause))
    return clause[start:]


def _cells(sentence: str) -> list[str]:
    text = sentence.strip()
    if text.startswith("|"):
        return [inline_plain(cell).strip() for cell in text.strip("|").split("|") if cell.strip()]
    return [plain_sentence(text)]


def asks_for_a_noun(question: Question) -> bool:
    """Does the question ask for a thing (「何を指定しますか」) rather than an amount, a date, a name, a clause, an outcome
    or a yes/no?"""
    return not (question.wants_phrase or question.wants_reason or question.wants_effect or question.wants_outcome
                or question.wants_date or question.wants_number or question.wants_person or question.asked == "yesno")


# A one-character noun before a 、 (「他、」) is rarely an item of a list.
MIN_LISTED_CHARS = 2


def _listed_nouns(previous: str, following: str) -> bool:
    """Are the Japanese texts on both sides of a 、 noun phrases, so items of one list rather than clauses?"""
    return (min(len(previous), len(following)) >= MIN_LISTED_CHARS and language(previous) == language(following) == "ja"
            and is_noun_phrase(previous) and is_noun_phrase(following))


def _pieces(stretch: str) -> list[str]:
    """The stretch cut at punctuation, except that enumerated names stay one piece (「Recall、Precision」)."""
    parts = _BREAKS_KEPT.split(stretch)
    pieces: list[str] = [parts[0]]
    for separator, part in zip(parts[1::2], parts[2::2]):
        previous = _trimmed(pieces[-1])
        last_item = re.split("|".join(_LIST_SEPARATORS), previous)[-1]
        if separator in _LIST_SEPARATORS and _LIST_ITEM.fullmatch(last_item) and _LIST_ITEM.match(_trimmed(part)):
            pieces[-1] = previous + separator + part
        elif separator == "、" and _listed_nouns(previous, slot_filler(_trimmed(part))):
            # 「モデルの分類や階層化、整理」: nouns listed with 、, the last one also when a predicate takes it (「共有を行う」)
            pieces[-1] = previous + separator + part
        else:
            pieces.append(part)
    return pieces
