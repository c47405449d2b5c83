"""The transformers backend's real loading, chat template, image inputs and streaming, on
tiny random models saved with save_pretrained (random weights: only the plumbing is checked;
a real model is checked on a GPU when one is lent, see the issue notes)."""

from __future__ import annotations

import pytest
from PIL import Image
from skimage import data

from tests.tiny_models import tiny_idefics3, tiny_llava
from tools.fusion.backends.transformers_vlm import TransformersBackend
from tools.fusion.prompt import FusionRequest, ImageRef, Passage, Turn
from tools.vision.facts import ImageFacts


def _ref(image_id: str, image: Image.Image) -> ImageRef:
    facts = ImageFacts(
        image_id=image_id * 8, width=image.width, height=image.height, backend="t",
        embedding=[0.0], labels=[], text=[], colors=[],
    )  # fmt: skip
    return ImageRef(image_id, facts, image)


@pytest.fixture(scope="module")
def llava_dir(tmp_path_factory):
    return tiny_llava(tmp_path_factory.mktemp("tiny-llava"))


def test_llava_streams_tokens_for_images_passages_and_history(llava_dir):
    backend = TransformersBackend(str(llava_dir), device="cpu")
    request = FusionRequest(
        "What animal is this?",
        [_ref("img-1", Image.fromarray(data.chelsea())), _ref("img-2", Image.new("RGB", (64, 64)))],
        [Passage(1, "Cats purr.", "cats.md")],
        [Turn("user", "hello"), Turn("assistant", "hi")],
    )
    _, processor, batch = backend.inputs(request)
    image_token = processor.tokenizer.convert_tokens_to_ids("<image>")
    # One token per 8x8 patch of each 32x32 image (the CLS feature is dropped by "default").
    assert int((batch["input_ids"] == image_token).sum()) == 2 * (32 // 8) ** 2
    assert tuple(batch["pixel_values"].shape) == (2, 3, 32, 32)
    pieces = list(backend.stream(request))
    assert pieces and all(isinstance(p, str) for p in pieces)


def test_text_only_turn_needs_no_image(llava_dir):
    backend = TransformersBackend(str(llava_dir), device="cpu")
    _, _, batch = backend.inputs(FusionRequest("What is 2 + 2?"))
    assert "pixel_values" not in batch
    pieces = list(backend.stream(FusionRequest("What is 2 + 2?")))
    assert pieces and all(isinstance(p, str) for p in pieces)


@pytest.fixture(scope="module")
def idefics3_dir(tmp_path_factory):
    return tiny_idefics3(tmp_path_factory.mktemp("tiny-idefics3"))


def test_idefics3_streams_for_two_images(idefics3_dir):
    backend = TransformersBackend(str(idefics3_dir), device="cpu")
    request = FusionRequest(
        "Compare the first one with the second.",
        [_ref("img-1", Image.fromarray(data.chelsea())), _ref("img-2", Image.new("RGB", (40, 30)))],
    )
    _, processor, batch = backend.inputs(request)
    image_token = processor.tokenizer.convert_tokens_to_ids("<image>")
    assert int((batch["input_ids"] == image_token).sum()) == 2 * 4  # image_seq_len each
    assert batch["pixel_values"].shape[-2:] == (32, 32)
    pieces = list(backend.stream(request))
    assert pieces and all(isinstance(p, str) for p in pieces)
