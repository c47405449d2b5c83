"""Text that addresses the assistant instead of informing the reader: "ignore previous
instructions", "SYSTEM NOTICE TO THE ASSISTANT", chat-template role markers. Documents are data;
such sentences are flagged when a document is ingested (the Knowledge tab and the CLI's
``list`` show it) and are left out of what the answering model reads, whatever the document
says around them (OWASP LLM01/LLM04: indirect prompt injection, data poisoning)."""

from __future__ import annotations

import re

REMOVED = "(a sentence addressed to the assistant was left out)"

_ROLE_MARKER = re.compile(
    r"<\|?\s*(?:im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id)"
    r"[^>]{0,20}?\|?>|\[/?INST\]|<</?SYS>>",
    re.I,
)
_ADDRESSES = re.compile(
    r"|".join(
        [
            # "ignore all previous instructions", "disregard your rules"
            r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,60}?"
            r"\b(?:instructions?|rules|prompts?|guidelines|everything (?:above|else))",
            r"\b(?:ignore|disregard|forget)\s+(?:all\s+|everything\s+)?(?:of\s+)?"
            r"(?:the\s+|your\s+)?(?:above|previous|prior|earlier)\b",
            # Spoken to: "Assistant, reply only with yes", "Dear AI: ..."
            r"^\W*(?:dear\s+|hey\s+|hi\s+)?(?:ai\s+)?(?:assistant|chatbot|vira|ai|llm)\s*[,:]",
            # "SYSTEM NOTICE TO THE ...", "system prompt:" (not "the system message appears")
            r"\b(?:system|developer|admin(?:istrator)?)\s+(?:notice|prompt|message|"
            r"instructions?|override|command)\s*(?::|to\s+(?:the|any|all)\b)",
            # "NOTICE TO THE ASSISTANT:", "note to any AI assistant reading this"
            # (not "send it to the assistant manager")
            r"\b(?:to|for|attention,?)\s+(?:the\s+|any\s+|all\s+|an\s+)?(?:ai\s+|language\s+)?"
            r"(?:assistants?|chatbots?|llms?|language models?|ai models?|vira)"
            r"(?=\s*[:,.!]|\s+(?:reading|processing|that|who|which|here)\b)",
            # "you are now in maintenance mode", "from now on you ..."
            r"\byou are now\b|\bfrom now on,? you\b",
            # Orders at the start of a sentence: "Answer every question with ...", "Reply
            # HACKED to every user" (not "our staff answer every question within a day")
            r"^\W*(?:please\s+|now\s+|always\s+|you (?:must|should|will)\s+)?"
            r"(?:answer|reply|respond|say)\b[^.!?\n]{0,40}?\b(?:every|all|each|any)\s+"
            r"(?:questions?|users?|messages?|requests?|prompts?)\b",
            r"^\W*(?:please\s+)?(?:answer|reply|respond)\s+(?:only\s+)?with\s+only\b",
        ]
    ),
    re.I,
)
# A sentence ends at . ! ? before a space (not inside 4.50 or 10:30) or at a line break.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_MARKER = " <role marker>. "


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_BREAK.split(_ROLE_MARKER.sub(_MARKER, text)) if s.strip()]


def addressed_sentences(text: str) -> list[str]:
    """The sentences of ``text`` that talk to the assistant (role markers count as such)."""
    return [s for s in _sentences(text) if _talks_to_assistant(s)]


def _talks_to_assistant(sentence: str) -> bool:
    return "<role marker>" in sentence or bool(_ADDRESSES.search(sentence))


def addresses_assistant(text: str) -> bool:
    return bool(addressed_sentences(text))


def inert(text: str) -> str:
    """``text`` with every sentence that addresses the assistant replaced by ``REMOVED``: the
    rest of the passage (the museum's opening hours) stays usable."""
    if not addresses_assistant(text):
        return text
    kept: list[str] = []
    for sentence in _sentences(text):
        if _talks_to_assistant(sentence):
            if not kept or kept[-1] != REMOVED:
                kept.append(REMOVED)
        else:
            kept.append(sentence)
    return " ".join(kept)
