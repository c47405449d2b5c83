"""``encode_image``: what an image shows, as facts the planners and the VLM can use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from imaging import UnreadableImage
from tools.errors import ToolError
from tools.langchain_tool import langchain_tool
from tools.vision import ImageEncoder, ImageFacts
from tools.vision.encoder import ImageSource


def encode_image(encoder: ImageEncoder, image: ImageSource, name: str) -> ImageFacts:
    """The image's facts (cached by content). Raises ``ToolError`` naming the image."""
    try:
        return encoder.encode(image)
    except UnreadableImage as exc:
        raise ToolError(f"Could not read image {name!r}: {exc}") from None
    except OSError:
        raise ToolError(f"Could not read image {name!r}: no such image") from None


class EncodeImageInput(BaseModel):
    image: str = Field(description="The image: a session image id like img-1, or a file path.")


def make_encode_image(
    encoder: ImageEncoder, resolve: Callable[[str], ImageSource] = Path
) -> StructuredTool:
    """The LangChain tool; ``resolve`` maps what the model names (img-1) to an image, and
    raises ``ToolError`` for a name it does not know."""

    def look(image: str) -> tuple[str, ImageFacts]:
        """Look at an image and return its facts: size, what it shows (labels with scores),
        the text written in it (OCR) and its dominant colours. Cached: calling it again for
        the same image is free."""
        facts = encode_image(encoder, resolve(image), Path(image).name)
        return facts.describe(), facts

    return langchain_tool("encode_image", EncodeImageInput, look)
