"""Vira's own fusion VLM: a vision tower, a projector into a language model's embedding
space, a module that fuses visual, question and retrieved-knowledge features, and any
``transformers`` causal LM. One file per part (as nanoVLM lays it out); ``train.py`` trains it."""

from tools.fusion_vlm.config import CONFIGS, FusionVLMConfig
from tools.fusion_vlm.model import FusionVLM

__all__ = ["CONFIGS", "FusionVLM", "FusionVLMConfig"]
