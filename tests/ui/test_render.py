"""What the Knowledge tab shows a person about search results."""

from __future__ import annotations

import re

from tests.factories import passage
from ui.render import hit_cards


def test_search_results_say_how_relevant_they_are_in_words_not_rank_scores():
    hits = [
        passage("Descale every 200 cups.", "zephyr.md").found(0.0328, 0.71),
        passage("Warranty is two years.", "zephyr.md", n=1).found(0.0161, 0.34),
        passage("The café opens at nine.", "cafe.md").found(0.0159, 0.12),
        passage("descale descale", "notes.md").found(0.0156, None),
    ]
    cards = hit_cards(hits).split("\n\n")
    assert "high relevance" in cards[0] and "medium relevance" in cards[1]
    assert "low relevance" in cards[2] and "shares words only" in cards[3]
    assert not re.search(r"0\.0\d\d", hit_cards(hits))  # no fused rank scores
    assert hit_cards([]) == "No results."
