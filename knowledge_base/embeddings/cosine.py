"""What every Vira embedding function tells Chroma about its vectors."""

from __future__ import annotations


class CosineSpace:
    """Our encoders return unit-length vectors, so collections use the cosine space (Chroma
    reads it from ``default_space`` when it creates a collection)."""

    def default_space(self) -> str:
        return "cosine"
