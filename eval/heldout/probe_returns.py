"""A dev probe of templated documents: 24 shops' returns policies (and their museum notes) in
one knowledge base, each asked how long, then "And who pays the return postage if I changed
my mind?". Built by the held-out builder's ``returns()`` with shop and museum names and a seed
neither split uses; tune on it, as on dev.

    python eval/heldout/probe_returns.py OUT && python -m assistant.eval OUT/probe.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from eval.heldout import build

SHOPS = ["Acme Parts", "Blue Fern", "Copper Kettle", "Dune Outfitters", "Elm Street Toys",
         "Foxglove Tea", "Granite Gear", "Harbor Lights", "Iris Optics", "Juniper Bikes",
         "Kestrel Books", "Lantern Crafts", "Maple Audio", "Nimbus Games", "Orchid Home",
         "Pine Cycles", "Quartz Watches", "Raven Prints", "Sage Kitchen", "Tundra Sports",
         "Umber Paints", "Violet Garden", "Willow Linen", "Yarrow Pets"]  # fmt: skip
MUSEUMS = ["Harbour Museum", "Coin Museum", "Lamp Museum", "Radio Museum", "Stamp Museum",
           "Kite Museum", "Bell Museum", "Map Museum", "Toy Museum", "Ship Museum", "Rail Museum",
           "Clock Museum", "Film Museum", "Silk Museum", "Tile Museum", "Bread Museum",
           "Sugar Museum", "Wool Museum", "Ink Museum", "Mirror Museum", "Bike Museum",
           "Tea Museum", "Rope Museum", "Sail Museum"]  # fmt: skip


def main(out: Path) -> None:
    (out / "docs").mkdir(parents=True, exist_ok=True)
    rng = random.Random(777)  # n % 24 picks each name once
    rows = [build.returns(n, rng, out / "docs", SHOPS, MUSEUMS) for n in range(24, 48)]
    (out / "probe.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{out / 'probe.jsonl'}: {len(rows)} conversations, {3 * len(rows)} questions")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "probe"))
