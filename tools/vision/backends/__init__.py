"""Image backends: one file per provider, all implementing ``VisionBackend``."""
