"""Knowledge-base benchmark: ingestion and query speed, as ratios to baselines run alongside.

    .venv/bin/python bench/kb_ingest_query.py [--quick] [--sizes 10000 100000]

1. Ingestion chunks/s of `KnowledgeBase.ingest` on a real-text corpus (>= 2,000 chunks)
   against (a) raw `SentenceTransformer.encode` of the very same chunk texts (goal >= 0.8) and
   (b) LangChain's RecursiveCharacterTextSplitter + Chroma.from_documents with the same model on
   the same files (speed-up goal >= 2x).
2. Query latency p50/p95 of hybrid `search` at 10k and 100k chunks against a raw Chroma `query`
   with the query embedded by the same model (goal <= 1.3x). The large stores are filled
   through the store's own write path with embeddings derived from real ones (sums of two real
   sentence embeddings), since embedding 100k chunks would take most of an hour on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from corpus import module_texts, write_corpus  # noqa: E402

from knowledge_base import KnowledgeBase, KnowledgeSettings  # noqa: E402
from knowledge_base.embeddings import SentenceTransformerEmbedding  # noqa: E402
from knowledge_base.embeddings.sentence_transformer import resolve_batch  # noqa: E402
from knowledge_base.store import DocRecord  # noqa: E402


def _settings(data_dir: Path) -> KnowledgeSettings:
    return KnowledgeSettings(data_dir=data_dir, chroma_url=None)


def bench_ingest(work: Path, embedding: SentenceTransformerEmbedding, min_chars: int) -> dict:
    files = write_corpus(work / "corpus", min_chars)
    kb = KnowledgeBase(_settings(work / "ours"), embedding=embedding)
    kb.list()  # open Chroma outside the timing, like a running app
    start = time.perf_counter()
    report = kb.ingest(files)
    ours_s = time.perf_counter() - start
    assert report.ok, [f.line() for f in report.errors]
    chunks = report.chunks_added
    texts = [it.indexed_text for it in kb._current().items.values() if it.kind == "text"]
    assert len(texts) == chunks

    start = time.perf_counter()
    batch = resolve_batch(embedding.batch_size, str(embedding.model.device))
    embedding.model.encode(texts, batch_size=batch, normalize_embeddings=True)
    raw_s = time.perf_counter() - start

    lc_s, lc_chunks = _langchain(files, work / "langchain", embedding)
    return {
        "files": len(files),
        "chunks": chunks,
        "ours_s": ours_s,
        "ours_chunks_per_s": chunks / ours_s,
        "raw_encode_s": raw_s,
        "raw_encode_chunks_per_s": chunks / raw_s,
        "ratio_vs_raw_encode": (chunks / ours_s) / (chunks / raw_s),
        "langchain_s": lc_s,
        "langchain_chunks": lc_chunks,
        "langchain_chunks_per_s": lc_chunks / lc_s,
        # The metric: chunks/s against chunks/s. Wall time on the same files is the
        # stricter view (LangChain's 1,000-char chunks are fewer, and longer ones get cut at
        # the model's 256-token window, so part of their text is never embedded).
        "chunks_per_s_ratio_vs_langchain": (chunks / ours_s) / (lc_chunks / lc_s),
        "wall_time_speedup_vs_langchain": lc_s / ours_s,
    }


def _langchain(files: list[Path], persist: Path, embedding: SentenceTransformerEmbedding):
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from knowledge_base.embeddings import resolve_text_model

    lc_embed = HuggingFaceEmbeddings(
        model_name=resolve_text_model(embedding.model_name),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
    lc_embed.embed_query("warm up")
    start = time.perf_counter()
    docs = [Document(p.read_text(), metadata={"source": p.name}) for p in files]
    # The splitter settings most LangChain RAG tutorials use.
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    Chroma.from_documents(chunks, lc_embed, persist_directory=str(persist))
    return time.perf_counter() - start, len(chunks)


def _fill(kb: KnowledgeBase, n: int, sentences: list[str], vectors: np.ndarray, seed: int):
    """Write n chunks in 1,000-chunk documents through the store, committed like an ingest."""
    rng = np.random.default_rng(seed)
    store, per_doc = kb.store, 1000
    for d in range(n // per_doc):
        doc_id = f"bench{seed:02d}{d:06d}"
        pairs = rng.integers(0, len(sentences), size=(per_doc, 2))
        emb = vectors[pairs[:, 0]] + vectors[pairs[:, 1]]
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        texts = [f"{sentences[a]} {sentences[b]}" for a, b in pairs]
        record = DocRecord(doc_id, f"doc{d}.txt", "committed", chunks=per_doc)
        for s in range(0, per_doc, store.batch_size):
            e = min(s + store.batch_size, per_doc)
            store.text.add(
                ids=[f"{doc_id}:{i}" for i in range(s, e)],
                embeddings=emb[s:e],
                documents=texts[s:e],
                metadatas=[
                    {"doc_id": doc_id, "source": record.source, "chunk_index": i, "kind": "text"}
                    for i in range(s, e)
                ],
            )
        store.manifest.write(record)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return qs[49] * 1000, qs[94] * 1000


def bench_query(work: Path, embedding: SentenceTransformerEmbedding, sizes: list[int]) -> list:
    sentences = sorted(
        {
            " ".join(s.split())
            for text in module_texts().values()
            for s in text.replace("\n\n", ". ").split(". ")
            if 30 < len(s.strip()) < 300
        }
    )
    random.Random(0).shuffle(sentences)
    sentences = sentences[:8000]
    vectors = embedding.encode(sentences)
    queries = [s[: random.Random(i).randint(20, 80)] for i, s in enumerate(sentences[:120])]
    results = []
    for size in sizes:
        kb = KnowledgeBase(_settings(work / f"q{size}"), embedding=embedding)
        start = time.perf_counter()
        _fill(kb, size, sentences, vectors, seed=size % 97)
        fill_s = time.perf_counter() - start
        start = time.perf_counter()
        kb.search("warm up the index")
        first_s = time.perf_counter() - start
        ours, raw = [], []
        col = kb.store.text
        for q in queries[:20]:  # warm both paths
            kb.search(q, k=5)
            col.query(query_embeddings=embedding.encode([q]), n_results=5)
        for q in queries[20:]:
            t = time.perf_counter()
            kb.search(q, k=5)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            col.query(query_embeddings=embedding.encode([q]), n_results=5)
            raw.append(time.perf_counter() - t)
        (o50, o95), (r50, r95) = _percentiles(ours), _percentiles(raw)
        results.append(
            {
                "chunks": size,
                "fill_s": fill_s,
                "first_search_s": first_s,
                "ours_p50_ms": o50,
                "ours_p95_ms": o95,
                "raw_p50_ms": r50,
                "raw_p95_ms": r95,
                "ratio_p50": o50 / r50,
                "ratio_p95": o95 / r95,
            }
        )
        shutil.rmtree(work / f"q{size}", ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small corpus and stores")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    sizes = args.sizes or ([2000, 10000] if args.quick else [10_000, 100_000])
    embedding = SentenceTransformerEmbedding()
    embedding.encode(["warm up"])
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.skip_ingest:
            ing = out["ingest"] = bench_ingest(
                work, embedding, 300_000 if args.quick else 1_500_000
            )
            print(
                f"ingest: {ing['files']} files, {ing['chunks']} chunks in {ing['ours_s']:.1f} s "
                f"= {ing['ours_chunks_per_s']:.1f} chunks/s\n"
                f"  raw SentenceTransformer.encode: {ing['raw_encode_chunks_per_s']:.1f} chunks/s"
                f" -> ratio {ing['ratio_vs_raw_encode']:.2f} (goal >= 0.8)\n"
                f"  LangChain splitter + Chroma.from_documents: {ing['langchain_s']:.1f} s for "
                f"{ing['langchain_chunks']} chunks = {ing['langchain_chunks_per_s']:.1f} chunks/s "
                f"-> ratio {ing['chunks_per_s_ratio_vs_langchain']:.2f}x (goal >= 2); "
                f"same files wall time {ing['wall_time_speedup_vs_langchain']:.2f}x",
                flush=True,
            )
        out["query"] = bench_query(work, embedding, sizes)
        for r in out["query"]:
            print(
                f"query @ {r['chunks']:,} chunks: hybrid p50 {r['ours_p50_ms']:.1f} ms "
                f"p95 {r['ours_p95_ms']:.1f} ms | raw Chroma+embed p50 {r['raw_p50_ms']:.1f} ms "
                f"p95 {r['raw_p95_ms']:.1f} ms -> ratio p50 {r['ratio_p50']:.2f} "
                f"p95 {r['ratio_p95']:.2f} (goal <= 1.3); first search (index build) "
                f"{r['first_search_s']:.1f} s, fill {r['fill_s']:.0f} s",
                flush=True,
            )
    results = ROOT / "bench" / "results" / "kb_ingest_query.json"
    results.parent.mkdir(exist_ok=True)
    previous = json.loads(results.read_text()) if results.exists() else {}
    results.write_text(json.dumps(previous | out, indent=2))  # a partial run keeps the rest


if __name__ == "__main__":
    main()
