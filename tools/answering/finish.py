"""The one finishing step of every answer, whichever backend wrote it and whichever planner
asked for it. It works on the stream, so what the user watches is exactly what is stored:

- a citation mark that names no passage ([0], [7] of 5) is dropped;
- a mark whose passage shares (almost) nothing with the sentence it ends, or lacks the
  numbers and codes said since the last mark, while another passage holds them, is pointed at
  that one (small models often cite the neighbour);
- a mark on a sentence that shares no word with any passage is dropped (it used none), and
  so is a mark on a sentence that says it does not know (no passage holds "not mentioned");
- a repeated mark ([2][2]) is said once;
- an answer that states a passage's fact and cites nothing gets the mark added at its end
  (the 0.5B never cites by itself);
- an answer with no words at all (nothing, or only marks) says it does not know instead;
- a sentence that only names the passage it used ("I used passage [1].") becomes its mark,
  checked like any other (``source_talk``);
- a planner's plumbing (tool-call JSON or tags, tool names, "here's how I'll proceed") is
  never shown: such an answer says it does not know, and one that turns to it ends there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from knowledge_base import Hit
from tools.answering.grounding import refuses
from tools.answering.plumbing import without_plumbing
from tools.answering.source_talk import without_source_talk

NO_ANSWER = "I don't know."
MIN_SHARED = 2  # distinctive words an answer must share with a passage to cite it
_MARK = re.compile(r"( ?)\[(\d+)\]")
_MAYBE_MARK = re.compile(r"\s*\[\d{0,4}$")  # the start of a mark, cut by the stream
# ";" ends one here (unlike grounding.sentences_of, which keeps a table row whole): each
# clause of "X [1]; Y [2]" is judged on its own.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,%-]*[A-Za-z0-9%]|[A-Za-z0-9]")
_COMMON = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "is",
        "are",
        "was",
        "were",
        "be",
        "it",
        "this",
        "that",
        "these",
        "those",
        "as",
        "at",
        "by",
        "from",
        "has",
        "have",
        "had",
        "not",
        "no",
        "yes",
        "you",
        "your",
        "i",
        "we",
        "they",
        "he",
        "she",
        "its",
        "their",
        "there",
        "here",
        "what",
        "which",
        "who",
        "image",
        "picture",
        "photo",
    ]
)


def words(text: str) -> set[str]:
    """Distinctive words (and numbers) of a text, lower-cased."""
    return {w.lower().strip(".,") for w in _WORD.findall(text)} - _COMMON


def _numbers(ws: set[str]) -> set[str]:
    """The numbers and codes (E4, 1.8) among words."""
    return {w for w in ws if any(ch.isdigit() for ch in w)}


def _support(said: set[str], passage: Hit) -> int:
    shared = said & words(passage.text)
    return len(shared) + (MIN_SHARED if _numbers(shared) else 0)


def finished(pieces: Iterable[str], passages: list[Hit]) -> Iterator[str]:
    """The answer's pieces as they should be shown and stored (see the module's rules)."""
    marks = _Marks(passages)
    for piece in without_source_talk(without_plumbing(pieces, NO_ANSWER)):
        out = marks.feed(piece)
        if out:
            yield out
    tail = marks.close()
    if tail:
        yield tail


class _Marks:
    """Holds back only what may still change: the start of a mark, trailing white space, and
    marks before the first word (an answer may turn out to be marks alone)."""

    def __init__(self, passages: list[Hit]) -> None:
        self.passages = passages
        self.pending = ""
        self.prose = ""  # what was said so far, without marks
        self.clause = ""  # what was said since the last mark
        self.cited: list[int] = []
        self.held_marks = ""  # marks met before any word
        self.last = ""  # the mark just emitted, with nothing after it yet

    def feed(self, piece: str) -> str:
        self.pending += piece
        out = []
        while match := _MARK.search(self.pending):
            out.append(self._text(self.pending[: match.start()]))
            out.append(self._mark(match))
            self.pending = self.pending[match.end() :]
        held = _MAYBE_MARK.search(self.pending) or re.search(r"\s+$", self.pending)
        cut = held.start() if held else len(self.pending)
        out.append(self._text(self.pending[:cut]))
        self.pending = self.pending[cut:]
        return "".join(out)

    def close(self) -> str:
        rest = self._text(self.pending.rstrip())
        if not re.search(r"\w", self.prose):
            return NO_ANSWER  # nothing, or marks alone: never an empty or citation-only answer
        return rest + (self._added() if not self.cited else "")

    def _text(self, text: str) -> str:
        if not self.prose:
            text = text.lstrip()
        if not text:
            return ""
        self.last = ""
        self.prose += text
        self.clause += text
        held, self.held_marks = self.held_marks, ""
        return f"{held} {text}" if held else text

    def _mark(self, match: re.Match) -> str:
        number = self._checked(int(match[2]))
        self.clause = ""
        if number is None:
            return ""  # with the space before it
        mark = f"{match[1] if self.prose else ''}[{number}]"
        if self.last.strip() == mark.strip():
            return ""
        self.last = mark
        self.cited.append(number)
        if not self.prose:
            self.held_marks += mark
            return ""
        return mark

    def _checked(self, number: int) -> int | None:
        if not 1 <= number <= len(self.passages):
            return None
        sentence = next(reversed(self._sentences()), "")
        if refuses(sentence):
            return None
        said = words(sentence)
        if len(said) < MIN_SHARED:  # too short to tell ("Yes."): judged with the whole answer
            said = words(self.prose)
        cited = _support(said, self.passages[number - 1])
        best = max(range(len(self.passages)), key=lambda i: _support(said, self.passages[i]))
        if cited < MIN_SHARED <= _support(said, self.passages[best]):
            return best + 1
        if said and not _support(said, self.passages[best]):
            return None  # no passage shares a word with the answer: it used none
        stated = _numbers(words(self.clause))
        if stated and not stated & words(self.passages[number - 1].text):
            holders = [i for i, p in enumerate(self.passages) if stated <= words(p.text)]
            if holders:
                return holders[0] + 1
        return number

    def _sentences(self) -> list[str]:
        return [s for s in _SENTENCE_END.split(self.prose) if words(s)]

    def _added(self) -> str:
        """Marks for the passages whose distinctive words (two) or numbers the answer's
        statements repeat (a sentence that says it does not know states nothing)."""
        said = words(" ".join(s for s in self._sentences() if not refuses(s)))
        used = [
            n
            for n, passage in enumerate(self.passages, start=1)
            if len(shared := said & words(passage.text)) >= MIN_SHARED or _numbers(shared)
        ]
        return " " + "".join(f"[{n}]" for n in used) if used else ""
