"""Grounded or refused. A question that asks for a specific (who, when, where, how much, a
name, a number) gets an answer only when:

- what it asks about is there: its numbers, names and other words occur together in one image's
  facts, one passage or one earlier message ("Who planted bed 5?" with a note about bed 3 is
  not answered from it) — otherwise the model is not even asked;
- every number and name the answer states occurs in the facts, passages, question or chat;
- it says something: "taken in a city" to "which city?" names nothing and is no answer.

Anything else is a guess stated as a fact, and the answer says it does not know instead. Only
those questions are held back while checked: the rest stream as they come, so the first token
of an ordinary answer is not delayed.

A backend that looks at the pixels itself is the one source that text cannot check: with a
picture in view, the things a question asks about may be in the picture without being in its
facts (only its codes, numbers and names must be in the text), and a count it gives to "how
many" is what it saw. Every other number and name it states still needs the text: a date or a
city read off no label is a guess for a pixel model too."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from knowledge_base.instructions import inert
from tools.answering.prompt import AnswerRequest

UNSUPPORTED = "I don't know: neither the image nor your documents say."
NOT_IN_DOCUMENTS = "I don't know: your documents don't say."
_ASKS_SPECIFIC = re.compile(
    r"\b(who|whom|whose|when|where|which (year|city|country|day|date|month|town|place)|"
    r"what (year|date|time|day|month|city|country|is (his|her|its|their|the) name)|"
    r"how (much|many|old|long|often|far|big|tall|high|heavy|large|wide|deep)|price|cost|"
    r"named?)\b",
    re.I,
)
# Questions whose answer is a value: an answer naming none (and citing nothing) is no answer.
_ASKS_VALUE = re.compile(
    r"\b(when|(which|what) (year|city|country|day|date|month|town|place|time)|"
    r"how (much|many|old|long)|price|cost|name)\b",
    re.I,
)
_ASKS_NAME = re.compile(r"\bname\b|^\s*who\b", re.I)
_ASKS_PRICE = re.compile(r"\b(cost|costs|price|priced|pay|paid|charge|fee)\b", re.I)
_MONEY = re.compile(
    r"[$€£¥]|\b(eur|usd|gbp|chf|euros?|dollars?|pounds?|pence|cents?|francs?|yen|kr)\b|\bfree\b",
    re.I,
)
# A number with a unit of something else than money: a rating, a size, a duration.
_MEASURE = re.compile(
    r"\d\s*(k?W|V|Hz|kg|g|mm|cm|m|km|ml|l|litres?|liters?|%|°|degrees?|months?|years?|days?|"
    r"hours?|minutes?)\b",
    re.I,
)
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_COUNT = re.compile(r"^\d{1,3}$")
# A number a sentence states, or a code with one ("K7", "E4"): the code is the claim, since
# "7" alone is in no source that writes "Brewmaster K7".
_STATED_NUMBER = re.compile(r"(?<![A-Za-z])\d+(?:[.,:/-]\d+)*|\b[A-Za-z]+\d[A-Za-z\d]*\b")
_ASKS_COUNT = re.compile(r"\bhow many\b", re.I)
_NUMBER_WORD = re.compile(
    r"\b(zero|none|no|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b", re.I
)
_CITATION = re.compile(r"\[\d+\]")
_NAME = re.compile(r"\b[A-Z][\w'-]*[A-Za-z]")
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9'.,:/-]*[A-Za-z0-9])?")
_INTRODUCES = frozenset(["the", "a", "an", "my", "our", "your", "his", "her", "its", "their"])
SENTENCE_END = re.compile(r"[.!?](\s|$)")
_CLAUSE = re.compile(r"(?<=[.!?])\s+")  # not ";": a table row's cells are one sentence
_ROW_END = re.compile(r"[.!?]$|\s\|\s|;\s|^#")  # ends a sentence; a table row; a heading
_ABBREVIATION = re.compile(
    r"(?:^|\s)(?:Mr|Mrs|Ms|Dr|St|Mt|Jr|Sr|Prof|No|Nr|Fig|Co|Ltd|Inc|[A-Z]|e\.g|i\.e|ext|tel|"
    r"no|nr|vs|approx|incl|ca|dept|pp?)\.$"
)
_DONT_KNOW = re.compile(
    r"\b(don'?t|do not|cannot|can'?t) (know|tell|say|determine)|\bnot (mentioned|provided|"
    r"stated|visible|specified|given)|\bno (information|mention)",
    re.I,
)
# Capitalised at the start of a sentence, not names.
_STARTS = (
    "the a an this that these those it its it's there they their he she his her i i'm i'd "
    "you you're you'll you've your we we're our my me us "
    "yes no in on at of for from to with by as and or but so if based according however "
    "image picture photo photograph receipt document passage what which who when where "
    "one two both first second third neither nothing unfortunately sorry"
)
_COMMON = frozenset(_STARTS.split())
# Words of a question that say what kind of value it wants, not what it is about.
_QUESTION_WORDS = """
    picture pictures image images photo photos photograph photographs photographed shown show
    shows name names named called thing things something anything does did do is are was
    were be been being has have had here how much many long old often far why whom whose
    about please tell me you your i my me we our us can could would should will may might
    time times date dates day days year years month months city town country place price
    prices cost costs costed exactly precisely number amount value know most least
"""
_ASKING = frozenset(_QUESTION_WORDS.split()) | _COMMON


def asks_for_specific(question: str) -> bool:
    return bool(_ASKS_SPECIFIC.search(question))


def _units(request: AnswerRequest, whole_documents: bool = False) -> list[str]:
    """What an answer may draw on, one piece per image, passage and earlier message.
    ``whole_documents``: a passage with the rest of its document (a name the question gives
    may be on another page: "returns to Northwind" when only page 1 names Northwind)."""
    units = [ref.facts.describe() for ref in request.images]
    units += [
        f"{hit.heading or ''}\n{inert(hit.text)}\n{hit.citation()}"
        + (f"\n{inert(request.documents.get(hit.doc_id, ''))}" if whole_documents else "")
        for hit in request.passages
    ]
    units += [turn.text for turn in request.history]
    units += request.notes
    return [u.lower() for u in units]


def _besides_passages(request: AnswerRequest) -> str:
    """The question, facts, chat and notes: what vouches for a claim with no passage."""
    return _sources(request, passages=False).lower()


def passage_sentences(request: AnswerRequest) -> list[str]:
    """The passages' sentences (and table rows), lower-cased."""
    return [piece.lower() for hit in request.passages for piece in sentences_of(inert(hit.text))]


def sentences_of(text: str) -> list[str]:
    """Sentences, and table rows ("Case: ...; Who pays: ..."). A line break inside a sentence
    (a wrapped or scanned line: "Next boiler service due:" / "25 January 2026") ends nothing,
    nor does an abbreviation ("Ms. Ingrid Halvorsen")."""
    merged: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        rows: list[str] = []
        for row in (r.strip() for r in paragraph.split("\n")):
            if rows and row and not _ROW_END.search(rows[-1]):
                rows[-1] += " " + row
            elif row:
                rows.append(row)
        for row in rows:
            for piece in (p.strip() for p in _CLAUSE.split(row)):
                if merged and _ABBREVIATION.search(merged[-1]):
                    merged[-1] += " " + piece
                elif piece:
                    merged.append(piece)
    return merged


def known_text(request: AnswerRequest) -> str:
    """Everything an answer may draw on, lower-cased."""
    return _known(request, _units(request))


def _known(request: AnswerRequest, units: list[str]) -> str:
    return "\n".join([request.question.lower(), *units])


def stem(word: str) -> str:
    word = word.removesuffix("'s")
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def subject(question: str, nouns: bool = True) -> list[str]:
    """What a question is about: its codes and numbers (Zephyr-9, E4, 4.50, bed 8), names, and
    the nouns it introduces with an article or possessive ("the dishwasher", "an adult cat",
    "my mind"). Verbs and "this medicine" (the picture's own thing) are left out: documents
    say them in other words ("fed" / "feed", "medicine" / "tablets"). ``nouns=False``: the
    codes, numbers and names only (a picture can show "the triangle", not "bed 8")."""
    tokens = [t.rstrip(".,:/-'").removesuffix("'s") for t in _TOKEN.findall(question)]
    kept = []
    for before, token in zip(["", *tokens], tokens, strict=False):
        if not token or token.lower() in _ASKING:
            continue
        if any(ch.isdigit() for ch in token) or token[0].isupper():
            kept.append(token.lower())  # codes, numbers and names as written
        elif nouns and before.lower() in _INTRODUCES:
            kept.append(stem(token.lower()))
    return list(dict.fromkeys(kept))


def _pattern(word: str) -> str:
    """A code or number as a whole (bed 8 is not bed 18 or 80); a word as a word's start
    (plant: planted)."""
    if any(ch.isdigit() for ch in word):
        return rf"(?<![\w.,:/-]){re.escape(word)}(?![\w]|[.,:/-]\w)"
    return rf"(?<!\w){re.escape(word)}"


def missing_subject(request: AnswerRequest) -> list[str]:
    """For a question asking for a specific: the words of its subject that no single image,
    passage or earlier message holds together (empty when one holds them all)."""
    if not asks_for_specific(request.question):
        return []
    return _missing(subject(request.question), _units(request, whole_documents=True))


def _missing(wanted: list[str], units: list[str]) -> list[str]:
    if not wanted:
        return []
    best: list[str] | None = None
    for unit in units:
        absent = [w for w in wanted if not re.search(_pattern(w), unit)]
        if best is None or len(absent) < len(best):
            best = absent
    return wanted if best is None else best


def _names(text: str) -> list[str]:
    """Capitalised words that are not just a sentence's first word ("Alice's": Alice)."""
    names = (w.removesuffix("'s") for w in _NAME.findall(text))
    return [w for w in names if w.lower() not in _COMMON]


def _claims(sentence: str, counted: bool = False) -> list[str]:
    """The numbers and names a sentence states (``counted``: a whole number is a count of what
    the model saw, not a claim)."""
    plain = _CITATION.sub("", sentence)
    numbers, names = _STATED_NUMBER.findall(plain), _names(plain)
    if counted:
        numbers = [n for n in numbers if not _COUNT.match(n)]
        names = [n for n in names if not _NUMBER_WORD.fullmatch(n)]
    return numbers + names


def _holds(text: str, claim: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(claim.lower())}(?!\w)", text))


def unsupported(sentence: str, known: str, counted: bool = False) -> list[str]:
    """Numbers and names in the sentence that nothing it may draw on contains."""
    return [c for c in _claims(sentence, counted) if not _holds(known, c)]


def off_subject(answer: str, question: str, request: AnswerRequest, counted: bool = False) -> bool:
    """The answer's names and numbers come from passages, and none of them from a passage
    sentence (or table row) that concerns what the question asks about: "Mira planted the
    tomatoes in bed 5" from "Bed 3 holds the dahlias that Mira planted. Bed 5 holds
    tomatoes." names the wrong bed's planter. What the question is about means its numbers,
    codes and nouns ("bed 5", "the tomatoes"); its names ("Harbor House") may be said once in a
    heading or on another page, and the whole-document check covers them. One claim from the
    right sentence is enough: the rest of the answer may add context from the next one."""
    names = {n.lower() for n in _names(question)}
    about = [w for w in subject(question) if w not in names or any(ch.isdigit() for ch in w)]
    sentences = passage_sentences(request)
    if not about or not sentences:
        return False
    besides, quoted = _besides_passages(request), "\n".join(inert(h.text) for h in request.passages)
    claims = [
        c
        for c in _claims(answer, counted)
        if not _holds(besides, c) and (c[0].isdigit() or _proper(c, quoted))
    ]
    related = [s for s in sentences if any(re.search(_pattern(w), s) for w in about)]
    return bool(claims) and not any(_holds(s, c) for s in related for c in claims)


def _sources(request: AnswerRequest, passages: bool = True) -> str:
    """What an answer may draw on, as written (names keep their capitals)."""
    texts = [ref.facts.describe() for ref in request.images]
    texts += [inert(h.text) for h in request.passages] if passages else []
    texts += [t.text for t in request.history]
    return "\n".join([request.question, *texts, *request.notes])


def refuses(answer: str) -> bool:
    """The answer says it does not know or cannot tell."""
    return bool(_DONT_KNOW.search(answer.replace("\u2019", "'")))


def _proper(word: str, text: str) -> bool:
    """A capitalised word the passages write capitalised within a sentence (a name), not only
    at a sentence's start ("Switch the machine off")."""
    return bool(re.search(rf"[a-z0-9,;:(]\s+{re.escape(word)}\b", text))


def _names_a_value(answer: str, counted: bool, asks_name: str = "") -> bool:
    """Does the answer give a value? A citation counts ("every morning [1]"), except for a
    name: "The passage says tabby is a coat pattern [1]" names no cat."""
    plain = _CITATION.sub("", answer)
    cited = plain != answer and not asks_name
    words = counted and _NUMBER_WORD.search(plain)  # "two": a count only a picture gives
    if asks_name:  # a name its sources write as one, not a quoted letter or a figure
        return any(_proper(n, asks_name) for n in _names(plain)) or bool(_DONT_KNOW.search(plain))
    named = _names(plain) or _NUMBER.search(plain) or words or '"' in plain
    return bool(cited or named or _DONT_KNOW.search(plain))


def grounded(
    pieces: Iterable[str], request: AnswerRequest, sees_pixels: bool = False
) -> Iterator[str]:
    """The answer's pieces; for a question asking for a specific, the answer is checked before
    it is shown, and an unsupported one ends with ``UNSUPPORTED``. ``sees_pixels``: the model
    looks at the request's pictures itself."""
    if not asks_for_specific(request.question):
        yield from pieces
        return
    units = _units(request)
    looks = sees_pixels and bool(request.images)
    if _missing(subject(request.question, nouns=not looks), _units(request, True)):
        yield not_known(request)  # the model is not asked: nothing it could say would be grounded
        return
    known = _known(request, units)
    counted = looks and bool(_ASKS_COUNT.search(request.question))
    said, pending = "", ""
    for piece in pieces:
        pending += piece
        while match := SENTENCE_END.search(pending):
            sentence, pending = pending[: match.end()], pending[match.end() :]
            if unsupported(sentence, known, counted):
                yield _refusal(said, request)
                return
            said += sentence
    if pending and unsupported(pending, known, counted):
        yield _refusal(said, request)
        return
    said += pending
    if not looks and off_subject(said, request.question, request, counted):
        yield not_known(request)
        return
    sources = _sources(request) if _ASKS_NAME.search(request.question) else ""
    if _ASKS_VALUE.search(request.question) and not _names_a_value(said, counted, sources):
        yield not_known(request)
        return
    if _ASKS_PRICE.search(request.question) and _MEASURE.search(said) and not _MONEY.search(said):
        yield not_known(request)  # "It cost 550 W": a rating read from a label is no price
        return
    yield said


def not_known(request: AnswerRequest) -> str:
    """ "I don't know", naming what was asked: the image only when the chat has one."""
    return UNSUPPORTED if request.images else NOT_IN_DOCUMENTS


def _refusal(said: str, request: AnswerRequest) -> str:
    if not said:
        return not_known(request)
    return said + ("" if said[-1].isspace() else " ") + not_known(request)
