"""The image encoder on real photos and hostile files; its cache, batch, Chroma EF and tool."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pytest
from chromadb.api.types import EmbeddingFunction
from PIL import Image
from skimage import data

from imaging import UnreadableImage
from knowledge_base.embeddings import ImageEmbedding, create_image_backend
from tests import factories
from tools import ToolError, encode_image, make_encode_image
from tools.vision import ImageEncoder
from tools.vision import encoder as encoder_module
from tools.vision.colors import color_name, dominant_colors


class CountingBackend:
    """The real packaged backend, with its batch calls counted (a spy, not a fake)."""

    def __init__(self, backend) -> None:
        self.inner, self.batches = backend, []
        self.key, self.joint_text_space = backend.key, backend.joint_text_space

    def embed_and_label(self, images, top_k):
        self.batches.append(len(images))
        return self.inner.embed_and_label(images, top_k)


@pytest.fixture(scope="session")
def packaged():
    return create_image_backend("packaged")


@pytest.fixture
def encoder(packaged, ocr, tmp_path):
    return ImageEncoder(CountingBackend(packaged), ocr, tmp_path / "image-cache")


def png(array_or_image) -> bytes:
    image = (
        array_or_image
        if isinstance(array_or_image, Image.Image)
        else Image.fromarray(array_or_image)
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def names(facts) -> list[str]:
    return [label.name.lower() for label in facts.labels]


def test_cat_photo_gets_a_cat_label_in_the_top_3(encoder):
    facts = encoder.encode(png(data.chelsea()))
    assert any("cat" in n or "tabby" in n for n in names(facts)[:3])
    assert (facts.width, facts.height) == (451, 300)
    assert len(facts.embedding) == 1280
    assert np.linalg.norm(facts.embedding) == pytest.approx(1.0, abs=1e-3)
    assert Image.open(io.BytesIO(facts.thumbnail_jpeg)).size[0] <= 256


def test_coffee_photo_is_espresso_or_cup(encoder):
    assert {"espresso", "cup", "coffee mug"} & set(names(encoder.encode(png(data.coffee())))[:3])


def test_text_in_the_image_is_read(encoder):
    facts = encoder.encode(png(factories.text_image(["Total due 431.50 EUR", "Thank you"])))
    assert [line.text for line in facts.text] == ["Total due 431.50 EUR", "Thank you"]
    assert all(line.confidence > 0.5 and len(line.box) == 4 for line in facts.text)
    assert "Text in image: Total due 431.50 EUR / Thank you" in facts.describe()


def test_dominant_colours_on_synthetic_images():
    img = Image.new("RGB", (100, 100), (220, 30, 30))
    img.paste((30, 80, 220), (0, 0, 100, 25))
    colors = dominant_colors(img)
    assert [(c.name, c.share) for c in colors] == [("red", 0.75), ("blue", 0.25)]
    assert dominant_colors(Image.new("RGB", (10, 10), "white"))[0].name == "white"
    assert color_name((250, 240, 40)) == "yellow" and color_name((20, 140, 40)) == "green"


def test_cache_hit_runs_no_model_in_memory_and_after_restart(encoder, packaged, ocr, tmp_path):
    image = png(data.chelsea())
    first = encoder.encode(image)
    again = encoder.encode(image)
    assert encoder.backend.batches == [1] and again is first
    restarted = ImageEncoder(CountingBackend(packaged), ocr, tmp_path / "image-cache")
    from_disk = restarted.encode(image)
    assert restarted.backend.batches == [] and restarted.model_calls == 0
    assert from_disk.labels == first.labels and from_disk.embedding == first.embedding
    assert from_disk.text == first.text and from_disk.thumbnail_jpeg == first.thumbnail_jpeg


@pytest.mark.parametrize("readable", [True, False], ids=["photo", "broken file"])
def test_a_picture_being_read_is_waited_for_not_read_twice(encoder, readable, monkeypatch):
    """Read ahead while its question is typed, then sent before that is done: the second
    caller looks up the cache while the first is still reading, and waits for its result
    (or its error) instead of reading the picture again."""
    picture = png(data.coffee()) if readable else b"\x89PNG\r\n\x1a\n broken"
    inside, second_looked = threading.Event(), threading.Event()
    lookup, decode = encoder.cache.get, encoder_module.open_image

    def looked_up(sha256):
        if threading.current_thread().name == "second":
            second_looked.set()
        return lookup(sha256)

    def slow_decode(raw):  # the first caller stays here until the second has looked
        inside.set()
        second_looked.wait(30)
        return decode(raw)

    monkeypatch.setattr(encoder.cache, "get", looked_up)
    monkeypatch.setattr(encoder_module, "open_image", slow_decode)
    results: dict[str, object] = {}

    def encode(name: str) -> None:
        try:
            results[name] = encoder.encode(picture).labels[0].name
        except UnreadableImage as exc:
            results[name] = str(exc)

    threads = [threading.Thread(target=encode, args=(n,), name=n) for n in ("first", "second")]
    threads[0].start()
    assert inside.wait(30)
    threads[1].start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2 and results["first"] == results["second"]
    assert encoder.model_calls == (1 if readable else 0)


def test_several_images_are_one_batch(encoder):
    cat, cup = png(data.chelsea()), png(data.coffee())
    facts = encoder.encode_many([cat, cup, cat])
    assert encoder.backend.batches == [2]
    assert facts[0] is facts[2] and facts[0].sha256 != facts[1].sha256


def test_a_damaged_cache_entry_is_encoded_again(encoder, packaged, ocr, tmp_path):
    facts = encoder.encode(png(data.coffee()))
    (entry,) = (tmp_path / "image-cache").rglob(f"{facts.sha256}.json")
    entry.write_text("{not json")
    fresh = ImageEncoder(CountingBackend(packaged), ocr, tmp_path / "image-cache")
    assert fresh.encode(png(data.coffee())).labels == facts.labels
    assert fresh.backend.batches == [1]


def _cmyk() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(data.chelsea()).convert("CMYK").save(buffer, "JPEG")
    return buffer.getvalue()


def _sixteen_bit() -> bytes:
    image = Image.fromarray((data.camera().astype(np.uint16) * 257).astype(np.uint16))
    assert image.mode == "I;16"
    return png(image)


def _alpha() -> bytes:
    rgba = Image.fromarray(data.chelsea()).convert("RGBA")
    rgba.putalpha(128)
    return png(rgba)


def _palette() -> bytes:
    return png(Image.fromarray(data.coffee()).convert("P", palette=Image.Palette.ADAPTIVE))


def _animated() -> bytes:
    buffer = io.BytesIO()
    frames = [Image.fromarray(data.chelsea()), Image.new("RGB", (451, 300), "blue")]
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


@pytest.mark.parametrize("make", [_cmyk, _sixteen_bit, _alpha, _palette, _animated])
def test_unusual_formats_are_normalised(encoder, make):
    facts = encoder.encode(make())
    assert facts.labels and len(facts.embedding) == 1280


def test_animated_gif_uses_its_first_frame(encoder):
    assert any("cat" in n or "tabby" in n for n in names(encoder.encode(_animated()))[:3])


def test_exif_orientation_is_applied(encoder):
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    Image.fromarray(data.chelsea()).save(buffer, "JPEG", exif=exif)
    facts = encoder.encode(buffer.getvalue())
    assert (facts.width, facts.height) == (300, 451)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"definitely not an image", "not a readable image"),
        (png(data.chelsea())[:300], "not a readable image"),
        (b"", "not a readable image"),
        (png(Image.new("1", (12_000, 12_000))), "possible decompression bomb"),
    ],
    ids=["junk", "truncated", "empty", "bomb"],
)
def test_bad_images_are_rejected_with_one_line(encoder, payload, reason):
    with pytest.raises(UnreadableImage, match=reason) as err:
        encoder.encode(payload)
    assert "\n" not in str(err.value)
    assert encoder.backend.batches == []


def test_chroma_embedding_function_for_images(packaged):
    ef = ImageEmbedding(backend=packaged)
    assert isinstance(ef, EmbeddingFunction) and ef.name() == "vira-image"
    assert not ef.is_legacy() and not ef.text_queryable
    assert ImageEmbedding.build_from_config(ef.get_config()).key == ef.key
    cat, cup = data.chelsea(), data.coffee()
    a, b, c = ef([cat, cup, cat])
    assert a.shape == (1280,) and float(a @ c) == pytest.approx(1.0, abs=1e-5)
    assert float(a @ b) < 0.9


def test_encode_image_tool(encoder, tmp_path: Path):
    path = tmp_path / "cat.png"
    path.write_bytes(png(data.chelsea()))

    def resolve(name: str) -> Path:
        if name != "img-1":
            raise ToolError(f"No image {name!r} in this conversation (it has: img-1)")
        return path

    tool = make_encode_image(encoder, resolve=resolve)
    assert tool.name == "encode_image" and tool.args["image"]["type"] == "string"
    text = tool.invoke({"image": "img-1"})
    assert text.startswith("Size: 451x300 pixels\nKind of thing: cat (")
    msg = tool.invoke({"type": "tool_call", "id": "t1", "name": "encode_image",
                       "args": {"image": "img-1"}})  # fmt: skip
    assert msg.artifact.width == 451
    assert (
        tool.invoke({"image": "img-9"}) == "No image 'img-9' in this conversation (it has: img-1)"
    )
    assert tool.invoke({"image": "img-1"}) == text  # cached: the same facts again
    assert encode_image(encoder, path, "cat.png").width == 451
    with pytest.raises(ToolError, match=r"Could not read image 'gone\.png': no such image"):
        encode_image(encoder, tmp_path / "gone.png", "gone.png")


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown image encoder 'dino'"):
        create_image_backend("dino")
    with pytest.raises(ValueError, match="clip needs a model id"):
        create_image_backend("clip")
