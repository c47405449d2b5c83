"""Answering backends: one file per provider, all implementing ``AnswerBackend``."""
