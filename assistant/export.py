"""A conversation as a Markdown document a person can keep or share."""

from __future__ import annotations

from assistant.memory import Exchange


def to_markdown(title: str, exchanges: list[Exchange]) -> str:
    lines = [f"# {title}", ""]
    for exchange in exchanges:
        pictures = ", ".join(f"{i.image_id} ({i.name})" for i in exchange.uploaded)
        lines += [f"**You:** {exchange.question}", ""]
        if pictures:
            lines += [f"*Pictures: {pictures}*", ""]
        lines += [f"**Vira:** {exchange.answer.text}", ""]
        for source in exchange.answer.sources:
            snippet = " ".join(source.hit.text.split())[:300]
            lines.append(f"- [{source.number}] {source.hit.citation()}: {snippet}")
        if exchange.answer.sources:
            lines.append("")
    return "\n".join(lines)
