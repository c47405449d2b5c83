"""Private documents: a collection per user (what Vira does) against one collection for all
users filtered by an owner field, at 10,000 chunks per user, in one run on one machine.

    .venv/bin/python bench/private_shelves.py [--users 5] [--chunks 10000] [--chroma-url URL]

Vectors are random 384-d unit vectors (what all-MiniLM-L6-v2 gives), so the figures are
Chroma's own search cost, not the embedding model's. Prints p50/p95 query latency (k=20) of
both layouts and their ratio (per-user collections / filtered shared collection).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import chromadb
import numpy as np

DIM, K, QUERIES = 384, 20, 200


def vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fill(col, ids: list[str], vecs: np.ndarray, metas: list[dict] | None, batch: int) -> None:
    for start in range(0, len(ids), batch):
        end = start + batch
        col.add(
            ids=ids[start:end],
            embeddings=vecs[start:end],
            metadatas=metas[start:end] if metas else None,
        )


def timed(query: Callable[[int], object]) -> list[float]:
    seconds = []
    for n in range(QUERIES):
        start = time.perf_counter()
        query(n)
        seconds.append(time.perf_counter() - start)
    return seconds


def summary(seconds: list[float]) -> tuple[float, float]:
    p95 = statistics.quantiles(seconds, n=20, method="inclusive")[18]
    return statistics.median(seconds) * 1000, p95 * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--chroma-url", default=None)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        if args.chroma_url:
            host, port = args.chroma_url.removeprefix("http://").split(":")
            client = chromadb.HttpClient(host=host, port=int(port))
        else:
            client = chromadb.PersistentClient(tmp)
        batch = min(client.get_max_batch_size(), 5000)
        space = {"hnsw": {"space": "cosine"}}
        shared = client.create_collection("bench-all", configuration=space)
        per_user, data = [], []
        start = time.perf_counter()
        for u in range(args.users):
            vecs = vectors(rng, args.chunks)
            ids = [f"u{u}-{i}" for i in range(args.chunks)]
            col = client.create_collection(f"bench-u{u}", configuration=space)
            fill(col, ids, vecs, None, batch)
            per_user.append(col)
            data.append((ids, vecs))
        filled_apart = time.perf_counter() - start
        start = time.perf_counter()
        for u, (ids, vecs) in enumerate(data):
            fill(shared, ids, vecs, [{"owner": f"u{u}"}] * len(ids), batch)
        filled_shared = time.perf_counter() - start
        queries = vectors(rng, QUERIES)
        apart = timed(lambda n: per_user[n % args.users].query(
            query_embeddings=queries[n : n + 1], n_results=K))  # fmt: skip
        filtered = timed(lambda n: shared.query(
            query_embeddings=queries[n : n + 1], n_results=K,
            where={"owner": f"u{n % args.users}"}))  # fmt: skip
        # What the filter returns must be the owner's only (a check, not a timing).
        got = shared.query(query_embeddings=queries[:1], n_results=K, where={"owner": "u0"})
        assert all(i.startswith("u0-") for i in got["ids"][0])
    a50, a95 = summary(apart)
    f50, f95 = summary(filtered)
    where = args.chroma_url or "embedded"
    print(f"Chroma {chromadb.__version__} ({where}), {args.users} users x {args.chunks} chunks")
    print(f"fill: per-user collections {filled_apart:.1f} s, one filtered {filled_shared:.1f} s")
    print(f"per-user collections    query p50 {a50:.2f} ms  p95 {a95:.2f} ms")
    print(f"one collection + where  query p50 {f50:.2f} ms  p95 {f95:.2f} ms")
    print(f"ratio (per-user / filtered): p50 {a50 / f50:.2f}x  p95 {a95 / f95:.2f}x")


if __name__ == "__main__":
    main()
