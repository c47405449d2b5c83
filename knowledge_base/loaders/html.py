"""HTML: visible text only, headings turned into Markdown headings so sections keep them."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from knowledge_base.errors import RejectedFile
from knowledge_base.loaders.base import LoadContext, LoadedDocument
from knowledge_base.loaders.markdown import markdown_sections
from knowledge_base.loaders.text import decode_text

_INVISIBLE = ["script", "style", "noscript", "template", "svg", "head", "iframe", "object"]
_BLOCKS = [
    "p", "div", "li", "tr", "pre", "blockquote", "section", "article", "br", "dt", "dd",
    "table", "ul", "ol", "figcaption", "caption", "header", "footer", "main", "aside",
]  # fmt: skip


def html_to_markdown(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_INVISIBLE):
        tag.decompose()
    for level in range(1, 7):
        for tag in soup.find_all(f"h{level}"):
            title = " ".join(tag.get_text(" ").split())
            tag.replace_with(f"\n\n{'#' * min(level, 5)} {title}\n\n")
    for tag in soup.find_all(_BLOCKS):
        tag.append("\n")
    for cell in soup.find_all(["td", "th"]):
        cell.append(" | ")
    lines = (" ".join(line.split()) for line in soup.get_text().splitlines())
    return "\n".join(lines).strip()


def load_html(path: Path, ctx: LoadContext) -> LoadedDocument:
    text = html_to_markdown(decode_text(path.read_bytes()))
    if not text:
        raise RejectedFile("no visible text in this HTML page")
    return LoadedDocument(sections=markdown_sections(text))
