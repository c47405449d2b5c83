"""The answering step every request goes through: the backends that generate an answer
(composed, llama-server, transformers, OpenAI-compatible, a trained fusion VLM), the prompt they
are given, the grounding check and the one finishing step. The trainable model itself lives in
``tools.fusion_vlm``."""
