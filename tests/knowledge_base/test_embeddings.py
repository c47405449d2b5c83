"""The text embedding function: Chroma's protocol, offline packaged model, precision choice."""

from __future__ import annotations

import numpy as np
from chromadb.api.types import EmbeddingFunction

from knowledge_base.embeddings import SentenceTransformerEmbedding
from knowledge_base.embeddings.sentence_transformer import (
    native_bf16,
    resolve_batch,
    resolve_precision,
)

TEXTS = [
    "The cat sat on the warm windowsill.",
    "Quarterly revenue rose by eight percent.",
    "def parse(path): return json.loads(path.read_text())",
]


def test_is_a_chroma_embedding_function_that_round_trips_its_config(embedding):
    assert isinstance(embedding, EmbeddingFunction)
    assert not embedding.is_legacy()
    clone = SentenceTransformerEmbedding.build_from_config(embedding.get_config())
    assert clone.get_config() == embedding.get_config()
    vectors = embedding(TEXTS)
    assert len(vectors) == 3 and vectors[0].shape == (384,)
    assert np.allclose([np.linalg.norm(v) for v in vectors], 1.0, atol=1e-3)


def test_paraphrases_are_closer_than_unrelated_text(embedding):
    a, b, c = embedding.encode(
        ["How do I reset my password?", "I forgot my login password", "Bananas are yellow"]
    )
    assert a @ b > 0.6 > a @ c


def test_bf16_matches_fp32(embedding):
    fp32 = SentenceTransformerEmbedding(precision="fp32")
    fp32._model = embedding.model  # same weights, no second load
    bf16 = SentenceTransformerEmbedding(precision="bf16")
    bf16._model = embedding.model
    cos = (fp32.encode(TEXTS) * bf16.encode(TEXTS)).sum(axis=1)
    assert cos.min() > 0.999


def test_precision_choice(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t: fpu avx2 avx512f avx512_bf16\n")
    assert native_bf16(cpuinfo)
    cpuinfo.write_text("flags\t: fpu avx2 avx512f\n")
    assert not native_bf16(cpuinfo)
    assert not native_bf16(tmp_path / "missing")
    assert resolve_precision("fp32", "cuda") == "fp32"
    assert resolve_precision("auto", "cuda:0") == "bf16"
    assert resolve_precision("bf16", "cpu") == "bf16"


def test_batch_choice_keeps_the_vectors(embedding):
    assert resolve_batch("auto", "cpu") == 16
    assert resolve_batch("auto", "cuda:0") == 64
    assert resolve_batch(64, "cpu") == 64
    many = [f"{text} ({i})" for i, text in enumerate(TEXTS * 12)]
    wide = SentenceTransformerEmbedding(batch_size=64)
    wide._model = embedding.model
    assert (wide.encode(many) * embedding.encode(many)).sum(axis=1).min() > 0.9999


def test_a_base_stored_with_another_batch_size_reopens(tmp_path, embedding):
    import chromadb

    client = chromadb.PersistentClient(path=str(tmp_path))
    old = SentenceTransformerEmbedding(batch_size=64)
    old._model = embedding.model
    client.create_collection("notes", embedding_function=old).add(
        ids=["a", "b"], documents=TEXTS[:2]
    )
    stored = client.get_collection("notes").configuration["embedding_function"]
    assert stored.get_config()["batch_size"] == 64
    reopened = client.get_collection("notes", embedding_function=embedding)
    hit = reopened.query(query_texts=["revenue growth"], n_results=1)
    assert hit["ids"] == [["b"]]
