"""The transformers backend's real loading, chat template, image inputs and streaming, on
tiny random models saved with save_pretrained (random weights: only the plumbing is checked;
a real model is checked on a GPU when one is lent, see the issue notes)."""

from __future__ import annotations

import pytest
from PIL import Image
from skimage import data

from tests.factories import passage
from tests.tiny_models import tiny_idefics3, tiny_llava
from tools.answering.backends.transformers_vlm import TransformersBackend
from tools.answering.prompt import AnswerRequest, ImageRef, Turn
from tools.vision.facts import ImageFacts


def _ref(image_id: str, image: Image.Image) -> ImageRef:
    facts = ImageFacts(
        sha256=image_id * 8, width=image.width, height=image.height, backend="t",
        embedding=[0.0], labels=[], text=[], colors=[],
    )  # fmt: skip
    return ImageRef(image_id, facts, image)


TINY = {"llava": tiny_llava, "idefics3": tiny_idefics3}


@pytest.fixture(scope="module", params=sorted(TINY))
def tiny_dir(request, tmp_path_factory):
    """A tiny random model of each family, saved with save_pretrained."""
    return request.param, TINY[request.param](tmp_path_factory.mktemp(f"tiny-{request.param}"))


# Image tokens for two images: llava one per 8x8 patch of each 32x32 image (the CLS feature
# is dropped by "default"); idefics3 its image_seq_len (4) each.
IMAGE_TOKENS = {"llava": 2 * (32 // 8) ** 2, "idefics3": 2 * 4}


def test_streams_tokens_for_two_images_passages_and_history(tiny_dir):
    family, path = tiny_dir
    backend = TransformersBackend(str(path), device="cpu")
    request = AnswerRequest(
        "Compare the first one with the second.",
        [_ref("img-1", Image.fromarray(data.chelsea())), _ref("img-2", Image.new("RGB", (40, 30)))],
        [passage("Cats purr.", "cats.md")],
        [Turn("user", "hello"), Turn("assistant", "hi")],
    )
    _, processor, batch = backend.inputs(request)
    image_token = processor.tokenizer.convert_tokens_to_ids("<image>")
    assert int((batch["input_ids"] == image_token).sum()) == IMAGE_TOKENS[family]
    assert tuple(batch["pixel_values"].shape[-2:]) == (32, 32)
    pieces = list(backend.stream(request))
    assert pieces and all(isinstance(p, str) for p in pieces)


def test_text_only_turn_needs_no_image(tiny_dir):
    backend = TransformersBackend(str(tiny_dir[1]), device="cpu")
    _, _, batch = backend.inputs(AnswerRequest("What is 2 + 2?"))
    assert "pixel_values" not in batch
    pieces = list(backend.stream(AnswerRequest("What is 2 + 2?")))
    assert pieces and all(isinstance(p, str) for p in pieces)
