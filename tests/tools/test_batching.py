"""Uploads that arrive together share one pass through the classifier."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from knowledge_base.embeddings import create_image_backend
from tests.waiting import until
from tools.vision import ImageEncoder
from tools.vision.batching import Coalescer


def _held_first_batch(fn):
    """``fn`` behind a first batch that runs until the test releases it; (the wrapped
    function, the batches seen, the release event)."""
    seen: list[list[int]] = []
    release = threading.Event()

    def run(items: list[int]) -> list[int]:
        seen.append(list(items))
        if len(seen) == 1:
            assert release.wait(10)
        return fn(items, len(seen))

    return run, seen, release


def test_calls_made_while_a_batch_runs_go_together_in_the_next():
    double, seen, release = _held_first_batch(lambda items, _: [2 * n for n in items])
    coalescer = Coalescer(double)
    with ThreadPoolExecutor(9) as pool:
        first = pool.submit(coalescer, [0])
        until(lambda: len(seen) == 1, 5, "the first batch never ran")
        rest = [pool.submit(coalescer, [n, 100 + n]) for n in range(1, 9)]
        # All eight wait behind the running batch.
        until(lambda: coalescer.queued == 16, 5, "the callers never queued")
        release.set()
        assert first.result() == [0]
        assert [f.result() for f in rest] == [[2 * n, 200 + 2 * n] for n in range(1, 9)]
    assert seen[0] == [0] and len(seen) == 2
    assert sorted(seen[1]) == sorted(n for k in range(1, 9) for n in (k, 100 + k))


def test_an_error_reaches_every_caller_of_its_batch_and_not_the_next():
    def broken_second(items: list[int], batch: int) -> list[int]:
        if batch == 2:
            raise ValueError("broken batch")
        return items

    flaky, seen, release = _held_first_batch(broken_second)
    coalescer = Coalescer(flaky)
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(coalescer, [0])
        until(lambda: len(seen) == 1, 5, "the first batch never ran")
        callers = [pool.submit(coalescer, [1]), pool.submit(coalescer, [2])]
        until(lambda: coalescer.queued == 2, 5, "the callers never queued")
        release.set()
        assert first.result() == [0]
        for caller in callers:
            with pytest.raises(ValueError, match="broken batch"):
                caller.result()
    assert sorted(seen[1]) == [1, 2]  # both callers were in the broken batch
    assert coalescer([3]) == [3]  # the next batch is not


def test_batches_hold_at_most_max_batch_items():
    sizes: list[int] = []
    coalescer = Coalescer(lambda items: sizes.append(len(items)) or items, max_batch=4)
    assert coalescer(list(range(10))) == list(range(10))
    assert sizes == [4, 4, 2]


def test_eight_uploads_at_once_take_fewer_classifier_passes_than_images(ocr, tmp_path):
    encoder = ImageEncoder(create_image_backend("packaged"), ocr, tmp_path / "cache")
    encoder.encode(Image.new("RGB", (32, 32), "white"))  # the model is loaded
    before = encoder.classify.batches
    colours = ["red", "green", "blue", "yellow", "purple", "orange", "black", "grey"]
    images = [Image.new("RGB", (200 + 10 * n, 200), c) for n, c in enumerate(colours)]
    barrier = threading.Barrier(len(images))

    def upload(image: Image.Image):
        barrier.wait()
        return encoder.encode(image)

    with ThreadPoolExecutor(len(images)) as pool:
        facts = list(pool.map(upload, images))
    assert [f.width for f in facts] == [image.width for image in images]  # each its own
    assert encoder.classify.batches - before < len(images)
    alone = ImageEncoder(create_image_backend("packaged"), ocr, None).encode(images[3])
    assert [label.name for label in facts[3].labels] == [label.name for label in alone.labels]
