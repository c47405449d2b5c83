"""Never confidently wrong about a picture (issue 28), for backends that see only its facts.

- A question the facts cannot settle (what is on the left, is it raining, how many, what is
  it made of) is answered "I can't tell from what I can see", with what is certain, before
  any model is asked: labels, colours and text hold no places, actions, counts or materials.
- A label the classifier is unsure of is never stated as a fact, whatever the model writes:
  a sentence that names it without a hedge gets one right after the name.
- No percentages in prose unless a passage gives them: the colour shares are not for users.

A backend that looks at the pixels answers for itself; only the percentages rule applies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tools.answering.grounding import SENTENCE_END
from tools.answering.prompt import AnswerRequest
from tools.vision.facts import GUESS, SURE, ImageFacts, article
from tools.vision.image_kind import SAID

CANT_TELL = "I can't tell from what I can see."
#: A passage this similar to the question may settle what a picture's facts cannot ("what is
#: behind the shed?" with a note about the shed); a looser match ("Chidi looks after the bees"
#: to "is the bee collecting pollen?") only shares a word. The bar for picture questions.
SETTLES = 0.4
HEDGE = " (a guess: I'm not sure)"
_HEDGED = re.compile(
    r"\b(may|might|could) (be|show|have)\b|\b(maybe|possibly|probably|perhaps|likely|unsure|"
    r"uncertain|appears?|seems?|looks? like|guess)\b|\bnot (sure|certain)\b|\bi think\b",
    re.I,
)
_PERCENT = re.compile(r"\s*\(?\b\d{1,3}(?:[.,]\d+)?\s?%\)?")
_HELD = re.compile(r"[\w%(]+$|\s*\(?\d[\d.,]*\s*$")  # the word or number the stream may extend

# Nouns that end in -ing: "is this a painting?" asks what it is, not what it is doing.
_ING_NOUNS = (
    "(?:building|painting|drawing|clothing|ceiling|wedding|morning|evening|something|"
    "anything|nothing|everything|spring|string|swing|sibling|pudding|earring|railing|"
    "lightning|dumpling|duckling|seedling|icing|frosting|bedding|awning|packaging|parking|"
    "housing|landing|setting|ending|heading|opening|meeting|writing|reading|king|ring|wing)"
)
# What the facts never hold: places in the picture, actions, counts, materials, senses, time.
_READS_TEXT = re.compile(r"\b(written|write|writing|text|says?|read|label|sign)\b", re.I)
_BEYOND_FACTS = re.compile(
    r"\b(left|right|background|foreground|behind|below|above|under|beneath|beside|next to|"
    r"in front|on top|bottom|top|corner|middle)\b"
    r"|\bhow many\b|\bmade (of|from)\b|\b(smell|sound|taste|feel)s?\b|\bweigh"
    r"|\bwhat time\b|\btime of day\b|\bseason\b|\bweather\b"
    r"|\bhow (tall|big|high|heavy|long|wide|far|deep|large|small|cold|hot|warm|fast)\b"
    rf"|\b(is|are|was|were)\s+(\w+\s+){{0,2}}(?!{_ING_NOUNS}\b)\w{{3,}}ing\b",
    re.I,
)
_SPECIFIC = re.compile(
    r"^\s*(who|whose|when|where)\b|\b(which|what) (year|city|country|town|place|day|date)\b|"
    r"\bwhat is (his|her|its|their|(the|this|that) \w+'s) name\b|\bname of\b|\bhow old\b",
    re.I,
)
_NAMING = re.compile(
    r"^\s*(what('s| is| are)\s+(this|that|these|it|shown|in (this|the) (picture|image|photo))"
    r"(\s+(picture|image|photo|thing)|\s+(shown\s+)?in (this|the) (picture|image|photo))?\s*\??\s*$"
    r"|what (objects?|things?|animals?) (is|are) (in|shown)|what do you see|describe)",
    re.I,
)
_COLOUR_WORD = re.compile(r"\bcolou?rs?\b", re.I)
_COLOUR_QUESTION = re.compile(
    r"\bwhat colou?rs? (is|are) (the |this |these |those |its |their )?(?P<thing>[\w\s]+?)\s*\??$",
    re.I,
)
_IN_THE_PICTURE = re.compile(r"\s+(in|of|on) (this|the) (picture|image|photo\w*)\s*$", re.I)
_WHOLE = frozenset(
    ["it", "this", "that", "they", "these", "picture", "image", "photo", "thing", "object",
     "subject", "main thing", "main object", "main subject", "background", "image's background",
     "picture's background", "photo's background"]
)  # fmt: skip
# "What is the man standing behind?": the picture's one sure thing is the likeliest answer.
_WHAT_IS_WHERE = re.compile(
    r"^\s*what\b.*\b(behind|below|above|under|beneath|beside|next to|in front|on the (left|"
    r"right))\b",
    re.I,
)
_IMAGE_KINDS = r"(photo(graph)?|picture|drawing|painting|illustration|screenshot|scan|logo|chart"
_KIND_OF_IMAGE = re.compile(
    rf"\b{_IMAGE_KINDS}|diagram|cartoon|graphic|render\w*)\b.*\bor\b.*\b{_IMAGE_KINDS}|"
    rf"diagram|cartoon|graphic|document)\b|^\s*is (this|it) a (real )?{_IMAGE_KINDS}|document)"
    r"\b\s*\??$|\bwhat (kind|type|sort) of (image|picture)\b",
    re.I,
)
_YES_NO = re.compile(r"^\s*(is|are|was|were|can you see|do you see|does|do|did|has|have)\b", re.I)
_KIND_OF = re.compile(r"\bwhat (kind|type|sort|breed|species|variety) of\b", re.I)
_FILLER_WORDS = """is are was were can could you see do does did has have the a an this that
    these those it its there here in on of to any some and or what which how me my i picture
    image photo photograph pic shown show shows visible one thing"""
_FILLER = frozenset(_FILLER_WORDS.split())


def cant_tell(request: AnswerRequest, sees_pixels: bool) -> str | None:
    """The answer, worked out in code, to a question about a picture whose facts cannot settle
    it or leave it open (None: ask the model). Passages may settle it: then the model is
    asked."""
    if sees_pixels or not request.images or not request.about_pictures:
        return None
    facts = request.images[-1].facts
    read = any(r.facts.ocr_text for r in request.images)  # "the code at the bottom": its text
    if _READS_TEXT.search(request.question) and read:
        return None
    if _KIND_OF_IMAGE.search(request.question):
        said = SAID.get(facts.image_kind)
        return (
            f"It is {said}." if said else f"{CANT_TELL} {certain(facts, request.detailed)}".strip()
        )
    settling = [p for p in request.passages if p.similarity is None or p.similarity >= SETTLES]
    colour = _COLOUR_WORD.search(request.question)  # the facts have colours, not places
    beyond = not (colour or read) and (_beyond(request) or _unsettled(request))
    if not settling and (beyond or _kind_unknown(request)):
        sure = _sure_of(facts)
        if sure and _WHAT_IS_WHERE.search(request.question):
            return (
                f"It may be the {sure}: that is what the picture shows, though its facts hold "
                "no positions."
            )
        return f"{CANT_TELL} {certain(facts, request.detailed)}".strip()
    if request.passages:
        return None
    if _NAMING.search(request.question) and not _sure_of(facts):
        return _unsure_naming(facts, request.detailed)
    thing = _colour_of(request)
    return _colour_guess(thing, facts) if thing else None


def _beyond(request: AnswerRequest) -> bool:
    """Places, actions, counts, sizes, materials, time; or a who/when/where/which name with
    nothing the user told in the chat to take it from."""
    question = request.question
    if _BEYOND_FACTS.search(question):
        return True
    told = any(t.role == "user" and not t.text.rstrip().endswith("?") for t in request.history)
    return bool(_SPECIFIC.search(question)) and not told


def _sure_of(facts: ImageFacts) -> str:
    """The label, else the kind, the classifier is sure of ("" when neither)."""
    if facts.labels and facts.labels[0].score >= SURE:
        return facts.labels[0].name
    kind = facts.sure_kind()
    return kind.name if kind else ""


def _unsure_naming(facts: ImageFacts, detailed: bool = False) -> str:
    """ "What is this?" when the classifier is not sure: its best guess, said as a guess."""
    guess = facts.labels[0] if facts.labels and facts.labels[0].score >= GUESS else None
    likely = facts.likely_kind()
    if likely:
        perhaps = f" (perhaps {article(guess.name)})" if guess else ""
        said = f"It is probably {article(likely.name)}{perhaps}, but I'm not sure."
    elif guess:
        said = f"It may be {article(guess.name)}, but I'm not sure."
    else:
        said = "I can't tell what it shows: it is nothing the image classifier recognises."
    rest = certain(facts, detailed)
    return f"{said} {rest}".strip()


def _colour_of(request: AnswerRequest) -> str:
    """The thing a colour question asks about, when the facts do not pick it out ("the sky"
    in a photo labelled "alp"): its colour can only be guessed from the picture's colours."""
    match = _COLOUR_QUESTION.search(request.question)
    if not match:
        return ""
    thing = _IN_THE_PICTURE.sub("", match["thing"]).strip().lower()
    words = [w for w in re.findall(r"[a-z]{3,}", thing) if w not in _FILLER]
    if not words or thing in _WHOLE:
        return ""
    labels = " ".join(
        lb.name.lower() for ref in request.images for lb in [*ref.facts.labels, *ref.facts.kinds]
    )
    if any(re.search(rf"\b{re.escape(w.rstrip('s'))}", labels) for w in words):
        return ""  # the labelled thing: its colours are the main object's
    return thing


def _colour_guess(thing: str, facts: ImageFacts) -> str:
    colours = [c.name for c in (facts.colors or facts.object_colors)][:3]
    if not colours:
        return f"{CANT_TELL} {certain(facts)}".strip()
    listed = colours[0] if len(colours) == 1 else f"{', '.join(colours[:-1])} or {colours[-1]}"
    return (
        f"The {thing} may be {listed}: those are the picture's main colours, but I can't "
        f"pick out the {thing} itself."
    )


def _unsettled(request: AnswerRequest) -> bool:
    """A yes/no question with a word that no fact, label or earlier message has ("Is there
    water in the background?"). Whether it is a photo or a drawing is not among the facts."""
    question = request.question
    if not _YES_NO.search(question):
        return False
    known = " ".join(
        [ref.facts.describe().lower() for ref in request.images]
        + [turn.text.lower() for turn in request.history]
    )
    words = [w for w in re.findall(r"[a-z]{3,}", question.lower()) if w not in _FILLER]
    return any(not re.search(rf"\b{re.escape(w.rstrip('s'))}", known) for w in words)


def _kind_unknown(request: AnswerRequest) -> bool:
    """ "What kind of tree is it?" needs a label the classifier is sure of."""
    return bool(_KIND_OF.search(request.question)) and not any(
        ref.facts.labels and ref.facts.labels[0].score >= SURE for ref in request.images
    )


def _certain_parts(facts: ImageFacts) -> list[tuple[str, list[str]]]:
    """What is certain about a picture, each with the words that say it: what it shows if
    the classifier is sure, its kind of image, its main colours, its text."""
    best = facts.labels[0] if facts.labels else None
    kind = facts.sure_kind()
    sure = best.name if best and best.score >= SURE else kind.name if kind else ""
    colours = [c.name for c in (facts.object_colors or facts.colors)][:2]
    said = SAID.get(facts.image_kind, "")
    parts = [(f"it is {said}", said.split()[1:2])] if said else []
    parts += [(f"it shows {article(sure)}", [sure])] if sure else []
    if len(colours) == 1:
        parts.append((f"its main colour is {colours[0]}", colours))
    elif colours:
        parts.append((f"its main colours are {' and '.join(colours)}", colours))
    if facts.ocr_text:
        text = " / ".join(facts.ocr_text.splitlines()[:2])
        parts.append((f'it reads "{text}"', [text]))
    return parts


def _detail_parts(facts: ImageFacts) -> list[tuple[str, list[str]]]:
    """The certain facts, and for a detailed answer also the whole picture's colours beside
    its main thing's, and that it has no writing."""
    parts = _certain_parts(facts)
    whole = [c.name for c in facts.colors][:3]
    if facts.object_colors and whole:
        listed = whole[0] if len(whole) == 1 else f"{', '.join(whole[:-1])} and {whole[-1]}"
        parts.append((f"the whole picture's colours are {listed}", whole))
    if not facts.ocr_text:
        parts.append(("there is no writing in it", ["writing"]))
    return parts


def certain(facts: ImageFacts, detailed: bool = False) -> str:
    """What is certain about a picture, as one "What I can tell" sentence, or (``detailed``)
    a sentence for each thing."""
    if detailed:
        return " ".join(f"{c[0].upper()}{c[1:]}." for c, _ in _detail_parts(facts))
    parts = [clause for clause, _ in _certain_parts(facts)]
    return f"What I can tell: {'; '.join(parts)}." if parts else ""


def fuller(pieces: Iterable[str], request: AnswerRequest) -> Iterator[str]:
    """A detailed answer about a picture that says less than three sentences goes on with
    the certain facts it left out: the model often ignores "three to five sentences"."""
    said = ""
    for piece in pieces:
        said += piece
        yield piece
    wanted = 3 - len(SENTENCE_END.findall(said))
    if not (request.detailed and request.images) or wanted <= 0:
        return
    lower = said.lower()
    more = [
        f"{clause[0].upper()}{clause[1:]}."
        for clause, words in _detail_parts(request.images[-1].facts)
        if not all(w.lower() in lower for w in words)
    ][:wanted]
    if more:
        yield ("" if not said or said[-1].isspace() else " ") + " ".join(more)


def unsure_names(request: AnswerRequest) -> list[str]:
    """Labels and kinds the classifier gave below ``SURE`` that no sure one contains and the
    question does not use: "the bird" the user asked about is theirs, not a guess."""
    sure, unsure = set(), set()
    for ref in request.images:
        for label in ref.facts.labels[:3]:
            (sure if label.score >= SURE else unsure).add(label.name.lower())
        sure_kinds = ref.facts.sure_kinds()
        for kind in ref.facts.kinds:
            (sure if kind in sure_kinds else unsure).add(kind.name.lower())
    asked = request.question.lower()
    return sorted(
        n
        for n in unsure
        if not any(n in s for s in sure) and not re.search(rf"\b{re.escape(n)}(s|es)?\b", asked)
    )


def honest(pieces: Iterable[str], request: AnswerRequest, sees_pixels: bool) -> Iterator[str]:
    """The answer's pieces with unsure labels hedged and percentages no passage gives taken out.
    Only a word or number the next piece may extend is held back."""
    names = [] if sees_pixels else unsure_names(request)
    percentages = {m.group().strip() for h in request.passages for m in _PERCENT.finditer(h.text)}
    sentence, pending = "", ""
    for piece in pieces:
        pending += piece
        held = _HELD.search(pending)
        ready, pending = (
            (pending[: held.start()], pending[held.start() :])
            if held
            else (
                pending,
                "",
            )
        )
        out, sentence = _checked(ready, sentence, names, percentages)
        if out:
            yield out
    out, _ = _checked(pending, sentence, names, percentages)
    if out:
        yield out


def _checked(text: str, sentence: str, names: list[str], percentages: set[str]) -> tuple[str, str]:
    """``text`` as it may be shown, and the sentence it leaves open."""
    text = _PERCENT.sub(lambda m: m.group() if m.group().strip() in percentages else "", text)
    out = []
    for token in re.split(r"(?<=[\w)])(?=\W)", text):
        sentence += token
        out.append(token)
        lower = sentence.lower()
        if names and not _HEDGED.search(lower) and _names_one(lower, names):
            out.append(HEDGE)
            sentence += HEDGE
        if SENTENCE_END.search(token):
            sentence = ""
    return "".join(out), sentence


def _names_one(sentence: str, names: list[str]) -> bool:
    """The sentence ends with an unsure name (or its plural)."""
    return any(re.search(rf"\b{re.escape(n)}(s|es)?$", sentence) for n in names)
