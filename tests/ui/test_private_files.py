"""Files in Gradio's cache go only to the client they were sent to: another session holding
the exact server path of someone's upload (or of an answer's image) gets a 404."""

from __future__ import annotations

import httpx
import pytest
from gradio_client import Client, handle_file
from PIL import Image
from skimage import data

from tests.app_clients import browser_client
from ui.private_files import PAGE_VIEWS, PrivateFiles

pytestmark = pytest.mark.slow


def _file(client: httpx.Client, path: str) -> int:
    return client.get(f"/gradio_api/file={path}").status_code


def test_an_upload_is_served_to_its_uploader_only(app_url, tmp_path):
    cat = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(cat)
    alice, mallory = browser_client(app_url), browser_client(app_url)
    with cat.open("rb") as handle:
        reply = alice.post("/gradio_api/upload", files={"files": ("cat.png", handle)})
    (path,) = reply.json()
    assert _file(alice, path) == 200
    assert _file(mallory, path) == 404
    assert httpx.get(f"{app_url}gradio_api/file={path}").status_code == 404  # no cookie
    # The same path spelled differently, or through the older route, is still refused.
    assert _file(mallory, path.replace("/gradio/", "/gradio/./")) == 404
    assert mallory.get(f"/gradio_api/file/{path}").status_code == 404
    assert _file(mallory, "/etc/passwd") in (403, 404)


def test_an_answers_files_are_served_to_its_session_only(app_url, tmp_path):
    cat = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(cat)
    alice = Client(app_url, verbose=False, download_files=False)
    message = {"text": "What animal is this?", "files": [handle_file(str(cat))]}
    _, _, _, gallery, _ = alice.predict(message, [], api_name="/chat")
    path = gallery[0]["image"]["path"]
    assert httpx.get(f"{app_url}gradio_api/file={path}", cookies=alice.cookies).status_code == 200
    mallory = browser_client(app_url)
    assert _file(mallory, path) == 404


def test_paths_split_across_chunks_and_json_escapes_are_recognised(tmp_path):
    guard = PrivateFiles(app=None, cache_dir=str(tmp_path))
    name = str(tmp_path) + r"/abc/caf\u00e9 \"x\".png"  # as JSON escapes it
    assert guard._mentioned(f'{{"path": "{name}"}}') == {f'{tmp_path}/abc/café "x".png'}
    assert guard._requested_cache_file(f"/gradio_api/file={tmp_path}/abc/../abc/a.png") == (
        f"{tmp_path}/abc/a.png"
    )
    assert guard._requested_cache_file("/gradio_api/file=/etc/passwd") is None


def test_a_cited_page_named_inside_an_answers_html_is_granted_to_that_client(tmp_path):
    guard = PrivateFiles(app=None, cache_dir=str(tmp_path))
    page = f"{tmp_path}/{PAGE_VIEWS}/{'ab12' * 8}.jpg"
    html = (
        f'{{"content": "<img class=\\"vira-page\\" src=\\"gradio_api/file={page}\\" alt=\\"x\\">"}}'
    )
    assert page in guard._mentioned(html)  # no closing quote follows it there
    other = page.replace("ab12", "zz12")  # not a page view's name
    assert other not in guard._mentioned(html.replace("ab12", "zz12"))
