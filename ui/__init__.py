"""The Gradio interface (issue 4). Only presentation lives here; it calls ``assistant``."""
