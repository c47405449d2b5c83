"""The text embedder's throughput by batch size and precision, on the ingestion benchmark's
chunks (``bench/corpus.py``, chunked as ingestion chunks them), with each setting's lowest
cosine to torch fp32 at batch 64.

    .venv/bin/python bench/text_embedder.py [--chunks 400] [--batches 16 32 64 128 256]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from corpus import write_corpus  # noqa: E402

from knowledge_base.chunking import Chunker  # noqa: E402
from knowledge_base.embeddings import SentenceTransformerEmbedding  # noqa: E402
from knowledge_base.loaders import Section  # noqa: E402


def chunk_texts(embedding: SentenceTransformerEmbedding, count: int) -> list[str]:
    chunker = Chunker(embedding.tokenizer, 200, 40, embedding.max_tokens)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_corpus(Path(tmp), 400_000)
        texts = []
        for path in files:
            texts += [c.indexed_text for c in chunker.chunk([Section(path.read_text())])]
            if len(texts) >= count:
                return texts[:count]
    return texts


def rate(embedding: SentenceTransformerEmbedding, texts: list[str]) -> tuple[float, np.ndarray]:
    embedding.encode(texts[:8])  # warm
    start = time.perf_counter()
    vectors = embedding.encode(texts)
    return len(texts) / (time.perf_counter() - start), vectors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=400)
    parser.add_argument("--batches", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    args = parser.parse_args()
    reference = SentenceTransformerEmbedding(batch_size=64, precision="fp32")
    texts = chunk_texts(reference, args.chunks)
    _, truth = rate(reference, texts)
    results = []
    for precision in ("auto", "fp32"):
        for batch in args.batches:
            embedding = SentenceTransformerEmbedding(batch_size=batch, precision=precision)
            embedding._model = reference.model  # one load: only the call's settings differ
            per_s, vectors = rate(embedding, texts)
            cosine = float(np.min(np.sum(vectors * truth, axis=1)))
            results.append({"precision": precision, "batch": batch, "texts_per_s": per_s,
                            "min_cosine_to_fp32": cosine})  # fmt: skip
            print(results[-1], file=sys.stderr)
    print(json.dumps({"chunks": len(texts), "results": results}, indent=1))


if __name__ == "__main__":
    main()
