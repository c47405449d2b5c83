"""The error every tool raises: one line, fit to show a user or a planning model."""


class ToolError(Exception):
    """A tool could not do its job; ``str(err)`` says why, naming what it was given."""
