"""Composition root: settings -> assistant -> UI -> launch (what Hugging Face Spaces runs)."""

import ui
from assistant import Settings
from assistant.startup import start

if __name__ == "__main__":
    settings = Settings()
    # The answering model starts loading before Vira's (and Gradio's) heavy imports.
    assistant = start(settings)
    app = ui.build_ui(assistant)
    auth = assistant.access.gradio_auth
    ui.launch(
        app, settings.host, settings.port, settings.max_upload_bytes,
        auth=auth, concurrency=assistant.concurrency,
    )  # fmt: skip
