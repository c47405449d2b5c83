"""Structure-keeping chunking: sizes counted in the embedding model's own tokens."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter
from tokenizers import Tokenizer

from knowledge_base.loaders import Section

_SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class Chunk:
    text: str
    index: int
    page: int | None
    heading: str | None
    ocr: bool = False

    @property
    def indexed_text(self) -> str:
        """What gets embedded and BM25-indexed: the heading path gives a chunk its context."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text


class Chunker:
    def __init__(self, tokenizer, chunk_tokens: int, overlap: int, max_tokens: int) -> None:  # noqa: ANN001
        # Leave room for the heading prefix and the [CLS]/[SEP] tokens inside the model window.
        size = min(chunk_tokens, max_tokens - 24)
        # A copy of the Rust tokenizer without truncation: the model's own one truncates (so
        # every count would look small) and its Python wrapper warns on long texts.
        backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
        backend.no_truncation()
        backend.no_padding()

        def count_tokens(text: str) -> int:
            return len(backend.encode(text, add_special_tokens=False).ids)

        self._splitter = RecursiveCharacterTextSplitter(
            length_function=count_tokens,
            chunk_size=size,
            chunk_overlap=min(overlap, size // 2),
            separators=_SEPARATORS,
            keep_separator="end",
        )

    def chunk(self, sections: list[Section]) -> list[Chunk]:
        chunks: list[Chunk] = []
        for section in sections:
            for piece in self._splitter.split_text(section.text):
                text = piece.strip()
                if text:
                    chunks.append(
                        Chunk(text, len(chunks), section.page, section.heading, section.ocr)
                    )
        return chunks
