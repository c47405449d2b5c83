"""Image items in the knowledge base: stored with the image encoder's vectors, found from an
image (image -> image), from words through their labels and OCR text, or through CLIP."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from skimage import data

from knowledge_base import KnowledgeBase, KnowledgeSettings
from knowledge_base.embeddings import ImageEmbedding
from tests.tiny_models import tiny_clip


def _photos(folder: Path) -> Path:
    folder.mkdir()
    Image.fromarray(data.chelsea()).save(folder / "cat.png")
    Image.fromarray(data.coffee()).save(folder / "espresso.jpg")
    Image.fromarray(data.rocket()).save(folder / "launch.png")
    return folder


def test_image_to_image_search(kb, tmp_path: Path):
    assert kb.ingest([_photos(tmp_path / "photos")]).ok
    crop = Image.fromarray(data.chelsea()).crop((40, 20, 420, 290))  # another shot of the cat
    hits = kb.search_by_image(crop, k=3)
    assert hits[0].source == "cat.png"
    assert hits[0].kind == "image" and hits[0].similarity > hits[1].similarity
    assert Path(hits[0].image_path).is_file()


def test_a_picture_document_is_listed_with_its_thumbnail(kb, tmp_path: Path):
    (tmp_path / "notes.md").write_text("# Notes\n\nNo picture here.")
    kb.ingest([_photos(tmp_path / "photos"), tmp_path / "notes.md"])
    listed = {d.source: d for d in kb.list()}
    with Image.open(listed["cat.png"].thumbnail) as thumb:
        assert max(thumb.size) <= 768 and thumb.size[0] > thumb.size[1]  # the cat, scaled
    assert listed["notes.md"].thumbnail is None
    kb.delete(listed["cat.png"].doc_id)
    assert not Path(listed["cat.png"].thumbnail).exists()


def test_photos_without_text_are_found_by_their_labels(kb, tmp_path: Path):
    kb.ingest([_photos(tmp_path / "photos")])
    (cup,) = [d for d in kb.list() if d.source == "espresso.jpg"]
    hit = kb.search("espresso", k=1, kind="image")[0]
    assert hit.doc_id == cup.doc_id and "espresso" in hit.labels
    assert kb.search("tabby cat", k=1, kind="image")[0].source == "cat.png"


def test_image_vectors_live_in_their_encoders_own_collection(kb, make_kb, tmp_path: Path):
    kb.ingest([_photos(tmp_path / "photos")])
    assert kb.store.images.name != kb.store.text.name
    assert kb.store.images.count() == 3
    clip = ImageEmbedding(f"clip:{tiny_clip(tmp_path / 'clip')}")
    other = KnowledgeBase(
        KnowledgeSettings(data_dir=kb.settings.data_dir),
        embedding=kb.embedding,
        ocr=kb.ocr,
        image_embedding=clip,
    )
    # Same documents (the manifest), but CLIP vectors would go to another collection.
    assert other.store.images.name != kb.store.images.name
    assert other.store.images.count() == 0
    assert clip.text_queryable and not kb.image_embedding.text_queryable


def test_clip_encoder_queries_images_with_text_vectors(embedding, ocr, tmp_path: Path):
    clip = ImageEmbedding(f"clip:{tiny_clip(tmp_path / 'clip')}")
    kb = KnowledgeBase(
        KnowledgeSettings(data_dir=tmp_path / "data"), embedding=embedding, ocr=ocr,
        image_embedding=clip,
    )  # fmt: skip
    kb.ingest([_photos(tmp_path / "photos")])
    hits = kb.search("a photo of a cat", k=3, kind="image", mode="vector")
    # Random tiny weights: the ranking means nothing, but the text went through CLIP's text
    # tower into the image collection and came back with similarities.
    assert len(hits) == 3 and all(h.kind == "image" and h.similarity is not None for h in hits)
