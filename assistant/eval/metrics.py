"""Scoring one answer, and the dataset's metrics from the scored turns."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from assistant.eval.dataset import GoldTurn
from tools.answering.plumbing import plumbing

ARTICLES = re.compile(r"\b(a|an|the)\b")
PUNCTUATION = re.compile(r"[^\w\s.]|(?<!\d)\.|\.(?!\d)")  # keep decimal points: 19.50
DONT_KNOW = re.compile(
    r"\b(don'?t|do not|cannot|can'?t|could not|unable to|not able to|no way to) "
    r"(know|tell|determine|answer|say|find|identify|see|be determined)"
    r"|\bnot (possible|enough information|mentioned|specified|provided|stated|visible)"
    r"|\bno (information|mention|indication)",
    re.I,
)

# An answer that does not state its claim as fact: "it may be a lampshade, but I'm not sure".
HEDGED = re.compile(
    r"\b(may|might|could) (be|show|have)\b|\b(maybe|possibly|probably|perhaps|likely|"
    r"unsure|uncertain|appears? to|seems? to|looks? like)\b|\bnot (sure|certain)\b|"
    r"\bi (think|guess|believe)\b",
    re.I,
)


def normalise(text: str) -> str:
    """Lower case, no punctuation (but 19.50 stays), no articles, single spaces."""
    text = text.lower().replace("’", "'").replace("colour", "color").replace("grey", "gray")
    text = PUNCTUATION.sub(" ", text.replace("'", ""))
    return " ".join(ARTICLES.sub(" ", text).split())


def mentions(answer: str, phrase: str) -> bool:
    """The normalised phrase occurs in the normalised answer as whole words."""
    wanted = normalise(phrase)
    return bool(wanted) and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", normalise(answer))


def says_dont_know(answer: str) -> bool:
    return bool(DONT_KNOW.search(answer.replace("’", "'")))


def hedges(answer: str) -> bool:
    return bool(HEDGED.search(answer.replace("’", "'")))


@dataclass
class Scored:
    conversation: str
    position: int  # 0 for the first question of a conversation; follow-ups after it
    turn: GoldTurn
    answer: str
    error: str = ""
    sources: list[str] = field(default_factory=list)  # retrieved, in order
    cited: list[str] = field(default_factory=list)  # passage texts the answer cites
    seconds: float = 0.0
    fell_back: bool = False  # the planner model handed the turn to the built-in planner

    @property
    def correct(self) -> bool:
        t, a = self.turn, self.answer
        if self.error:
            return False
        refused = says_dont_know(a)
        if t.may_refuse and refused:
            return True
        if t.unanswerable != refused:
            return False
        if t.answers and not any(mentions(a, x) for x in t.answers):
            return False
        if any(not any(mentions(a, alt) for alt in k.split("|")) for k in t.keywords):
            return False
        return not any(mentions(a, x) for x in t.forbidden)

    @property
    def confidently_wrong(self) -> bool:
        """Wrong, and stated as fact: neither "I can't tell" nor a hedge ("it may be...").
        An honest refusal is not right, but it is not confidently wrong either."""
        a = self.answer
        if self.error or self.correct or self.empty:
            return False
        return not says_dont_know(a) and not hedges(a)

    @property
    def knowable(self) -> bool:
        """A question whose answer the packaged models can know: not one to refuse, not a
        count or position, not a name outside the classifier's classes."""
        t = self.turn
        return not (t.unanswerable or t.may_refuse or t.outside_labels or t.answer_counts)

    @property
    def empty(self) -> bool:
        """An answer that says nothing: no text, or citation marks alone ("9:30 [1]" answers
        "what time?")."""
        return not re.search(r"[^\W_]{2,}", re.sub(r"\[\d+\]", "", self.answer))

    @property
    def vqa_score(self) -> float:
        """Soft VQA accuracy: min(1, annotators who gave a mentioned answer / 3)."""
        counts = self.turn.answer_counts
        hits = [n for answer, n in counts.items() if mentions(self.answer, answer)]
        return min(1.0, max(hits, default=0) / 3)

    @property
    def recall(self) -> float | None:
        gold = set(self.turn.sources)
        if not gold:
            return None
        return len(gold & set(self.sources)) / len(gold)

    @property
    def faithful(self) -> bool | None:
        """Does a cited passage hold the supporting fact? None when nothing is cited or the
        turn names no fact."""
        if not self.cited or not self.turn.support:
            return None
        return any(mentions(text, self.turn.support) for text in self.cited)


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def summary(scored: list[Scored]) -> dict:
    by_kind: dict[str, list[Scored]] = {}
    for s in scored:
        by_kind.setdefault(s.turn.kind, []).append(s)
    recalls = [s.recall for s in scored if s.recall is not None]
    faithful = [s.faithful for s in scored if s.faithful is not None]
    follow_ups = [s.correct for s in scored if s.position > 0]
    vqa = [s.vqa_score for s in scored if s.turn.answer_counts]
    seconds = sorted(s.seconds for s in scored)
    outside = [float(s.correct) for s in scored if s.turn.outside_labels]
    return {
        "questions": len(scored),
        "accuracy": _mean([float(s.correct) for s in scored]),
        "confidently_wrong": _mean([float(s.confidently_wrong) for s in scored]),
        "confidently_wrong_count": sum(s.confidently_wrong for s in scored),
        "accuracy_knowable": _mean([float(s.correct) for s in scored if s.knowable]),
        # Naming things outside the classifier's classes is reported apart (issue 10).
        "accuracy_within_labels": _mean(
            [float(s.correct) for s in scored if not s.turn.outside_labels]
        ),
        "outside_labels": {"questions": len(outside), "accuracy": _mean(outside)},
        "follow_up_accuracy": _mean([float(c) for c in follow_ups]),
        "retrieval_recall": _mean(recalls),
        "citation_faithfulness": _mean([float(f) for f in faithful]),
        "cited_answers": len(faithful),
        "vqa_accuracy": _mean(vqa),
        "errors": sum(bool(s.error) for s in scored),
        "empty_answers": sum(s.empty for s in scored if not s.error),
        "seconds_p50": statistics.median(seconds) if seconds else None,
        "seconds_mean": _mean(seconds),
        "fell_back": sum(s.fell_back for s in scored),
        "tool_text": sum(plumbing(s.answer) for s in scored),
        "by_kind": {
            kind: {
                "questions": len(items),
                "accuracy": _mean([float(s.correct) for s in items]),
                "confidently_wrong": sum(s.confidently_wrong for s in items),
            }
            for kind, items in sorted(by_kind.items())
        },
    }
