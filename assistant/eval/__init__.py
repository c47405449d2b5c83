"""The evaluation harness: ``python -m assistant.eval DATASET``."""
