"""Kinds of things: the classifier's ImageNet classes summed up a small hierarchy, so that
"a bird" or "a vehicle" is confident when no single species or model is (a rosella is no
ImageNet class, but its probability still lands on birds)."""

from __future__ import annotations

from functools import cache

from knowledge_base.embeddings.image_backend import Label
from knowledge_base.embeddings.imagenet import imagenet_names

KIND_TOP_K = 50  # labels summed into kinds: the top 50 hold nearly all the probability

# ImageNet-1k class index ranges (inclusive): its animals are ordered by family.
_RANGES = """
fish: 0-6 389-397 | bird: 7-24 80-100 127-146 | frog or salamander: 25-32 | reptile: 33-68 |
spider, crab or other invertebrate: 69-79 107-126 327-329 | dog: 151-268 |
wolf, fox or wild dog: 269-280 | cat: 281-285 | big cat: 286-293 | bear: 294-297 |
insect: 300-326 | rabbit or hare: 330-332 | rodent: 333-338 | hoofed animal: 339-355 |
monkey or ape: 365-384 | fruit: 948-957 | vegetable: 936-947 |
prepared food or drink: 924-935 958-969 | mushroom or fungus: 991-997 | landscape: 970-980
"""


def _ranges() -> dict[str, list[tuple[int, int]]]:
    table = {}
    for entry in _RANGES.replace("\n", " ").split("|"):
        kind, spans = entry.split(":")
        table[kind.strip()] = [tuple(map(int, s.split("-"))) for s in spans.split()]
    return table  # type: ignore[return-value]


_NAMES: dict[str, list[str]] = {
    "vehicle": [
        "ambulance", "beach wagon", "cab", "convertible", "jeep", "limousine", "minivan",
        "Model T", "racer", "sports car", "pickup", "police van", "moving van",
        "trailer truck", "tow truck", "garbage truck", "fire engine", "school bus", "minibus",
        "trolleybus", "streetcar", "passenger car", "freight car", "electric locomotive",
        "steam locomotive", "bullet train", "tractor", "harvester", "forklift", "go-kart",
        "golfcart", "moped", "motor scooter", "mountain bike", "bicycle-built-for-two",
        "tricycle", "unicycle", "snowmobile", "snowplow", "tank", "half track",
        "recreational vehicle", "airliner", "warplane", "airship", "space shuttle", "canoe",
        "speedboat", "lifeboat", "fireboat", "gondola", "container ship", "liner", "schooner",
        "yawl", "catamaran", "trimaran", "pirate", "aircraft carrier", "submarine",
        "horse cart", "oxcart", "jinrikisha", "amphibian", "thresher",
    ],
    "flower": ["daisy", "yellow lady's slipper", "rapeseed", "pot"],
    "ball": [
        "baseball", "basketball", "croquet ball", "golf ball", "ping-pong ball", "rugby ball",
        "soccer ball", "tennis ball", "volleyball", "football helmet",
    ],
    "building": [
        "barn", "bell cote", "boathouse", "castle", "church", "cinema", "dome", "greenhouse",
        "library", "lumbermill", "monastery", "mosque", "palace", "planetarium", "prison",
        "restaurant", "stupa", "thatch", "tile roof", "triumphal arch", "yurt", "water tower",
        "grocery store", "bakery", "barbershop", "butcher shop", "confectionery", "shoe shop",
        "tobacco shop", "toyshop", "apiary", "mobile home", "obelisk", "megalith",
    ],
    "clothing": [
        "abaya", "academic gown", "apron", "bikini", "bow tie", "brassiere", "cardigan",
        "cloak", "cowboy boot", "cowboy hat", "fur coat", "gown", "hoopskirt", "jean",
        "jersey", "kimono", "lab coat", "maillot", "military uniform", "miniskirt", "mitten",
        "overskirt", "pajama", "poncho", "sarong", "sock", "sombrero", "stole", "suit",
        "sweatshirt", "swimming trunks", "trench coat", "vestment", "Windsor tie", "bonnet",
        "Loafer", "running shoe", "sandal", "clog", "shower cap", "ski mask", "bulletproof vest",
        "mortarboard", "knee pad", "bib", "feather boa", "wool",
    ],
    "tool": [
        "hammer", "hatchet", "screwdriver", "shovel", "plane", "power drill", "chain saw",
        "cleaver", "plunger", "screw", "nail", "can opener", "corkscrew", "padlock", "paintbrush",
        "rule", "carpenter's kit", "hand blower", "letter opener", "chain",
    ],
}  # fmt: skip
_PARENTS = {
    "animal": [
        "fish", "bird", "frog or salamander", "reptile", "spider, crab or other invertebrate",
        "dog", "wolf, fox or wild dog", "cat", "big cat", "bear", "insect", "rabbit or hare",
        "rodent", "hoofed animal", "monkey or ape",
    ],
    "food": ["fruit", "vegetable", "prepared food or drink"],
}  # fmt: skip
GENERAL = frozenset(_PARENTS)  # kinds that hold other kinds
# Animals of the 0-397 block that no family above holds (koala, elephant, otter, ...).
_ANIMAL_BLOCK = (0, 397)


@cache
def _kinds_of() -> dict[str, tuple[str, ...]]:
    """Class name -> the kinds it belongs to, most specific first."""
    names = imagenet_names()
    index = {name: i for i, name in enumerate(names)}
    member: dict[int, list[str]] = {}
    for kind, ranges in _ranges().items():
        for start, end in ranges:
            for i in range(start, end + 1):
                member.setdefault(i, []).append(kind)
    for kind, listed in _NAMES.items():
        for name in listed:
            member.setdefault(index[name], []).append(kind)
    for parent, children in _PARENTS.items():
        for kinds in member.values():
            if any(k in children for k in kinds):
                kinds.append(parent)
    for i in range(_ANIMAL_BLOCK[0], _ANIMAL_BLOCK[1] + 1):
        if "animal" not in member.setdefault(i, []):
            member[i].append("animal")
    return {names[i]: tuple(kinds) for i, kinds in member.items()}


def kinds(labels: list[Label], least: float = 0.3) -> list[Label]:
    """Kinds whose summed probability over ``labels`` (a classifier's top-k) reaches ``least``:
    the specific ones (bird, fruit) first, then the general ones (animal, food), each most
    probable first; nothing when the labels are not ImageNet's."""
    of = _kinds_of()
    totals: dict[str, float] = {}
    for label in labels:
        for kind in of.get(label.name, ()):
            totals[kind] = totals.get(kind, 0.0) + label.score
    found = [Label(k, round(min(1.0, s), 4)) for k, s in totals.items() if s >= least]
    return sorted(found, key=lambda k: (k.name in GENERAL, -k.score))
