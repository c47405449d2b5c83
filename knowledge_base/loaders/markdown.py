"""Markdown: sections by heading; the heading path moves into metadata (and the indexed text)."""

from __future__ import annotations

from pathlib import Path

from langchain_text_splitters import MarkdownHeaderTextSplitter

from knowledge_base.loaders.base import LoadContext, LoadedDocument, Section
from knowledge_base.loaders.text import decode_text

_LEVELS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4"), ("#####", "h5")]


def markdown_sections(text: str) -> list[Section]:
    splitter = MarkdownHeaderTextSplitter(_LEVELS, strip_headers=True)
    sections = []
    for doc in splitter.split_text(text):
        path = [doc.metadata[key] for _, key in _LEVELS if key in doc.metadata]
        sections.append(Section(doc.page_content, heading=" > ".join(path) or None))
    return sections


def load_markdown(path: Path, ctx: LoadContext) -> LoadedDocument:
    return LoadedDocument(sections=markdown_sections(decode_text(path.read_bytes())))
