"""Composition root: settings -> assistant -> UI -> launch (what Hugging Face Spaces runs)."""

from assistant import Assistant, Settings
from ui import build_ui, launch

if __name__ == "__main__":
    settings = Settings()
    assistant = Assistant(settings)
    assistant.warm_up()
    ui = build_ui(assistant)
    auth = assistant.access.gradio_auth
    launch(
        ui, settings.host, settings.port, settings.max_upload_bytes,
        auth=auth, concurrency=assistant.concurrency,
    )  # fmt: skip
