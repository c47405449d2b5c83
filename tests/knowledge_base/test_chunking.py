"""Chunks are measured in the embedding model's tokens, overlap, and keep page and heading."""

from __future__ import annotations

import itertools

from knowledge_base.chunking import Chunker
from knowledge_base.loaders import Section


def test_chunks_fit_the_window_overlap_and_keep_metadata(embedding):
    chunker = Chunker(embedding.tokenizer, chunk_tokens=120, overlap=30, max_tokens=256)
    text = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(300))
    chunks = chunker.chunk([Section(text, page=3, heading="Intro > Scope"), Section("Tail.")])
    body, tail = chunks[:-1], chunks[-1]
    count = [len(embedding.tokenizer.tokenize(c.text)) for c in body]
    assert len(body) > 10
    assert max(count) <= 120 and min(count[:-1]) > 60
    assert all(c.page == 3 and c.heading == "Intro > Scope" for c in body)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    # Consecutive chunks share text: the end of one opens the next.
    for a, b in itertools.pairwise(body):
        assert a.text.split()[-1] in b.text.split()[:30]
    assert tail.text == "Tail." and tail.page is None
    assert body[0].indexed_text.startswith("Intro > Scope\nSentence number 0")


def test_chunk_size_never_exceeds_the_model_window(embedding):
    chunker = Chunker(embedding.tokenizer, chunk_tokens=10_000, overlap=40, max_tokens=256)
    text = "word " * 3000
    sizes = [
        len(embedding.tokenizer.tokenize(c.indexed_text)) for c in chunker.chunk([Section(text)])
    ]
    assert max(sizes) <= 256 - 2  # room for [CLS] and [SEP]
