"""The CLIP/SigLIP backend's real transformers loading and inference, on a tiny random CLIP
saved to disk (no hub download: weights are random, so only shapes and plumbing are checked)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from knowledge_base.embeddings import create_image_backend
from tests.tiny_models import tiny_clip
from tools.vision import ImageEncoder


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    return tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


def test_clip_backend_embeds_images_and_text_in_one_space(clip_dir, tmp_path):
    backend = create_image_backend(f"clip:{clip_dir}")
    backend.vocabulary = ["cat", "dog", "cup"]
    assert backend.joint_text_space and backend.key == f"clip-{clip_dir}"
    encoder = ImageEncoder(backend, None, tmp_path / "cache")
    red, blue = encoder.encode_many(
        [Image.new("RGB", (64, 48), "red"), Image.new("RGB", (20, 20), "blue")]
    )
    assert len(red.embedding) == 16 and np.linalg.norm(red.embedding) == pytest.approx(1, abs=1e-4)
    assert red.embedding != blue.embedding
    assert {lb.name for lb in red.labels} <= {"cat", "dog", "cup"} and len(red.labels) == 3
    assert sum(lb.score for lb in red.labels) == pytest.approx(1, abs=1e-3)
    text = backend.embed_text(["a photo of a cat", "a red cup"])
    assert text.shape == (2, 16)
    assert np.allclose(np.linalg.norm(text, axis=1), 1, atol=1e-4)
