"""Errors with a one-line, user-facing reason."""


class KnowledgeBaseError(Exception):
    """Base class; ``str(err)`` is a single line fit to show a user."""


class RejectedFile(KnowledgeBaseError):
    """A file that cannot be ingested: unsupported, corrupt, encrypted, empty, too big."""


class StoreUnavailable(KnowledgeBaseError):
    """The Chroma server cannot be reached or answered an error."""
