"""Backend failures with a one-line reason a user can act on."""


class BackendUnavailable(RuntimeError):
    """The model server is down, timed out, or answered something unusable."""
