"""The OpenAI-compatible backend against a real server (llama.cpp's llama-server with the
packaged GGUF, run as a user would run their own), a server that is down, and one that answers
garbage."""

from __future__ import annotations

import http.server
import threading
import time

import pytest
from PIL import Image

from tests.factories import cat_ref, passage
from tests.servers import free_port, running
from tools.answering.backends.llama_server import installed_binary
from tools.answering.backends.openai_compat import OpenAIBackend, data_url
from tools.answering.errors import BackendUnavailable
from tools.answering.prompt import AnswerRequest


@pytest.fixture(scope="module")
def llama_server(gguf_path, tmp_path_factory):
    model = gguf_path
    port = free_port()
    args = ["--model", str(model), "--host", "127.0.0.1", "--port", str(port)]
    args += ["--ctx-size", "2048", "--alias", "qwen-coder", "--jinja", "--no-webui"]
    base = f"http://127.0.0.1:{port}/v1"
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with running([str(installed_binary()), *args], f"{base}/models", log, 120):
        yield base


@pytest.mark.slow
def test_streams_an_answer_from_a_real_server(llama_server):
    backend = OpenAIBackend("qwen-coder", llama_server, send_images=False)
    pieces = list(
        backend.stream(AnswerRequest("What animal is this?", [cat_ref(with_pixels=True)]))
    )
    assert len(pieces) > 1 and "cat" in "".join(pieces).lower()


@pytest.mark.slow
def test_cites_a_passage_through_the_server(llama_server):
    backend = OpenAIBackend("qwen-coder", llama_server, send_images=False)
    passages = [passage("The Zephyr-9 must be descaled every 3 months.", "z9.pdf")]
    text = "".join(
        backend.stream(AnswerRequest("How often is the Zephyr-9 descaled?", [], passages))
    )
    assert "3 months" in text and "[1]" in text


def test_images_go_as_data_urls_only_when_asked():
    request = AnswerRequest("What is it?", [cat_ref(with_pixels=True)])
    with_images = OpenAIBackend("m", "http://x/v1").messages(request)[1]["content"]
    assert with_images[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    text_only = OpenAIBackend("m", "http://x/v1", send_images=False).messages(request)[1]
    assert isinstance(text_only["content"], str)
    assert "Labels: tabby (0.61)" in text_only["content"]
    assert len(data_url(Image.new("RGB", (4000, 3000)))) < 200_000  # downscaled first


def test_server_down_is_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}/v1"
    backend = OpenAIBackend("m", url, retries=0, timeout_s=5)
    with pytest.raises(BackendUnavailable, match=f"cannot reach the model server at {url}"):
        list(backend.stream(AnswerRequest("hi")))


class _Garbage(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = b"<html>surprise, not JSON</html>"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status", [200, 500])
def test_garbage_answers_are_a_clear_error(status):
    handler = type("H", (_Garbage,), {})
    if status != 200:

        def do_post(self):
            self.send_error(status, "model exploded")

        handler.do_POST = do_post
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        backend = OpenAIBackend("m", url, retries=0, timeout_s=5)
        with pytest.raises(BackendUnavailable) as err:
            list(backend.stream(AnswerRequest("hi")))
        message = str(err.value)
        assert "\n" not in message
        assert ("HTTP 500" in message) if status == 500 else ("not an OpenAI-compatible" in message)
    finally:
        server.shutdown()


def test_a_server_that_hangs_times_out_with_a_clear_error():
    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            time.sleep(5)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        backend = OpenAIBackend("m", url, retries=0, timeout_s=1)
        start = time.monotonic()
        with pytest.raises(BackendUnavailable, match="did not answer within 1 s"):
            list(backend.stream(AnswerRequest("hi")))
        assert time.monotonic() - start < 4
    finally:
        server.shutdown()
