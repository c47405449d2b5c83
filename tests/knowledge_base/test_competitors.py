"""Passages that repeat a better passage's template about another subject are dropped; the
others, and every passage of a comparison question, are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base import Hit
from knowledge_base.competitors import overlap, without_competitors, words
from tests.factories import passage

SHOPS = {"Acme Parts": ("21", "6.50"), "Blue Fern": ("28", "7.00"), "Copper Kettle": ("45", "5.00")}
FOLLOW_UP = (
    "How many days do I have to return a parcel to Blue Fern? "
    "And who pays the return postage if I changed my mind?"
)


@pytest.fixture
def shops(kb, tmp_path: Path):
    for shop, (days, fee) in SHOPS.items():
        (tmp_path / f"{shop.split()[0].lower()}.md").write_text(
            f"# {shop} returns policy\n\nYou may return a parcel to {shop} within {days} days "
            f"of delivery. Who pays return postage: {shop} pays for a faulty item; if you "
            f"changed your mind, you pay {fee} EUR.\n"
        )
    (tmp_path / "bakery.md").write_text(
        "# Crumb bakery\n\nThe bakery sends parcels of bread by post; postage is paid by the "
        "customer.\n"
    )
    assert kb.ingest(sorted(tmp_path.glob("*.md"))).ok
    return kb


def test_templated_words_overlap_and_other_texts_do_not():
    acme = words("You may return a parcel to Acme Parts within 21 days; you pay 6.50 EUR.")
    fern = words("You may return a parcel to Blue Fern within 28 days; you pay 7.00 EUR.")
    bread = words("The bakery sends parcels of bread by post; postage is paid by the customer.")
    assert overlap(acme, fern) >= 0.6 > overlap(acme, bread)


def test_another_shops_copy_of_the_policy_is_dropped(shops):
    found = shops.search(FOLLOW_UP, k=5)
    assert {h.source for h in found} >= {"acme.md", "blue.md", "copper.md"}  # all relevant
    kept = without_competitors(found, FOLLOW_UP)
    assert "blue.md" in [h.source for h in kept]
    assert not {"acme.md", "copper.md"} & {h.source for h in kept}


def test_a_passage_that_is_no_copy_stays(shops):
    question = "Who pays the postage for parcels from Blue Fern or the bakery?"
    found = shops.search(question, k=5)
    kept = without_competitors(found, "Who pays the postage for bread parcels from Blue Fern?")
    assert "bakery.md" in {h.source for h in found}
    assert "bakery.md" in {h.source for h in kept}


@pytest.mark.parametrize(
    "question",
    ["Compare the return windows of Blue Fern and Acme Parts.",
     "Which of the shops charges the most for return postage?"],
)  # fmt: skip
def test_a_comparison_keeps_every_copy(shops, question):
    found = shops.search(question, k=5)
    assert without_competitors(found, question) == found


def test_a_copy_as_similar_as_the_best_stays(shops):
    question = "What is the returns policy?"  # names no shop: no copy is clearly worse
    found = shops.search(question, k=5)
    kept = without_competitors(found, question)
    best = max(h.similarity or 0 for h in found)
    close = {h.source for h in found if (h.similarity or 0) > best - 0.15}
    assert close <= {h.source for h in kept}


def _hit(doc: str, text: str, similarity: float) -> Hit:
    return passage(text, f"{doc}.md", id=doc, doc_id=doc, similarity=similarity)


def test_the_copy_about_the_subject_named_stays_even_when_less_similar():
    acme = _hit("acme", "Acme Parts returns: within 21 days; if you changed your mind, you pay "
                "6.50 EUR.", 0.61)  # fmt: skip
    fern = _hit("fern", "Blue Fern returns: within 28 days; if you changed your mind, you pay "
                "7.00 EUR.", 0.58)  # fmt: skip
    query = "How long do I have to return a parcel to Blue Fern? And who pays the postage?"
    assert without_competitors([acme, fern], query) == [fern]
    # Naming neither, the two are as good as each other: both stay.
    assert without_competitors([acme, fern], "Who pays the return postage?") == [acme, fern]
