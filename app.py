"""Composition root: settings -> assistant -> UI -> launch (what Hugging Face Spaces runs)."""

from assistant import Assistant, Settings
from ui import build_ui, launch

if __name__ == "__main__":
    settings = Settings()
    assistant = Assistant(settings)
    assistant.warm_up()
    launch(build_ui(assistant), settings.host, settings.port, settings.max_upload_bytes)
