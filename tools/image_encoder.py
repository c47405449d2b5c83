"""The ``encode_image`` tool: what an image shows, as facts the planner and the VLM can use."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from knowledge_base.errors import KnowledgeBaseError
from tools.vision import ImageEncoder, ImageFacts
from tools.vision.encoder import ImageSource


class EncodeImageInput(BaseModel):
    image: str = Field(description="The image: a session image id like img-1, or a file path.")


def make_encode_image(
    encoder: ImageEncoder, resolve: Callable[[str], ImageSource] | None = None
) -> StructuredTool:
    """Bind the tool to an encoder; ``resolve`` maps session ids (img-1) to image sources."""

    def encode_image(image: str) -> tuple[str, ImageFacts | None]:
        """Look at an image and return its facts: size, what it shows (labels with scores),
        the text written in it (OCR) and its dominant colours. Cached: calling it again for
        the same image is free."""
        try:
            facts = encoder.encode(resolve(image) if resolve else image)
        except KnowledgeBaseError as exc:
            return f"Could not read image {Path(image).name!r}: {exc}", None
        except (OSError, KeyError):
            return f"Could not read image {Path(image).name!r}: no such image", None
        return facts.describe(), facts

    return StructuredTool.from_function(
        encode_image,
        description=inspect.cleandoc(encode_image.__doc__ or ""),
        args_schema=EncodeImageInput,
        response_format="content_and_artifact",
    )
