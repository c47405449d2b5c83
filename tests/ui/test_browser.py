"""A real browser (Debian's headless Chromium, driven by Playwright): upload an image, ask,
watch the answer stream in with its source and the photo shown; stop a long answer and go on;
add a document in the Knowledge tab."""

from __future__ import annotations

import logging
import re

import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from skimage import data

from tests.browser import chromium, tab
from tests.waiting import until
from tools.answering.prompt import facts_prefix
from ui.render import DOCUMENT_HEADERS

pytestmark = pytest.mark.slow

RENDERED_UPLOAD = """() => [...document.querySelectorAll('img')].some(
    (img) => img.src.includes('cat.png') && img.complete && img.naturalWidth > 0)"""
LAST_ANSWER_HAS = """(text) => {
    const answers = document.querySelectorAll('.bot, [data-testid="bot"]');
    return answers.length > 0 && answers[answers.length - 1].innerText.toLowerCase().includes(text);
}"""


@pytest.fixture(scope="module")
def page(launched):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(launched[0])
        yield page


def test_ask_about_an_image_and_see_the_answer_with_a_source(page, launched, tmp_path):
    assistant = launched[1]
    doc = tmp_path / "cats.md"
    doc.write_text("# Cats\n\nA tabby cat has a coat with stripes, dots or swirls.")
    assistant.knowledge.ingest([doc])
    cat = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(cat)
    page.locator("input[type=file]").first.set_input_files(str(cat))
    box = page.get_by_placeholder("Ask about an image")
    box.fill("What animal is this, and what coat does a tabby have?")
    box.press("Enter")
    answer = page.locator(".bot, [data-testid='bot']").last
    answer.wait_for(timeout=120_000)
    page.wait_for_function(LAST_ANSWER_HAS, arg="cats.md", timeout=120_000)  # its own source
    assert "cat" in answer.inner_text().lower()
    assert "[1] cats.md" in answer.inner_text()
    # The uploaded photo shows in the conversation: the browser's cookie unlocks its file.
    page.wait_for_function(RENDERED_UPLOAD, timeout=30_000)


STOP = "button.stop-button"  # the box shows it while an answer streams
ASKED = "(n) => document.querySelectorAll('div.user').length > n"


def _ask(page, question: str) -> None:
    """Ask once the previous answer is done (a question sent while one streams is not
    taken) and see the question show in the chat."""
    page.locator(STOP).wait_for(state="hidden", timeout=120_000)
    asked = page.locator("div.user").count()
    box = page.get_by_placeholder("Ask about an image")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(ASKED, arg=asked, timeout=10_000)


def _last_answer(page) -> str:
    return page.locator(".bot, [data-testid='bot']").last.inner_text()


def test_stop_ends_a_long_answer_and_the_chat_goes_on(page):
    bot = page.locator(".bot, [data-testid='bot']")
    before = bot.count()
    _ask(page, "Write the numbers from 1 to 100, separated by commas.")
    try:
        page.wait_for_function(LAST_ANSWER_HAS, arg="5, 6", timeout=120_000)
    except PlaywrightTimeout:
        raise AssertionError(f"no long answer streamed: {_last_answer(page)!r}") from None
    page.locator(STOP).click()
    page.wait_for_timeout(1_000)
    stopped = _last_answer(page)
    page.wait_for_timeout(3_000)
    assert _last_answer(page) == stopped and "99, 100" not in stopped
    _ask(page, "What animal is in the picture?")
    try:
        page.wait_for_function(LAST_ANSWER_HAS, arg="cat", timeout=120_000)
    except PlaywrightTimeout:
        raise AssertionError(f"the chat did not go on: {_last_answer(page)!r}") from None
    assert bot.count() > before + 1


def test_the_next_question_typed_while_an_answer_streams_is_kept(page):
    _ask(page, "Write the numbers from 1 to 30, separated by commas.")
    box = page.get_by_placeholder("Ask about an image")
    assert box.input_value() == ""  # the question left the box for the chat
    page.locator(STOP).wait_for(state="visible", timeout=10_000)
    box.fill("And what colour is the cat?")
    page.locator(STOP).wait_for(state="hidden", timeout=120_000)
    page.wait_for_timeout(1_500)  # whatever runs after the answer has run
    assert "30" in _last_answer(page)
    assert box.input_value() == "And what colour is the cat?"


def test_add_a_document_in_the_knowledge_tab(page, tmp_path):
    doc = tmp_path / "router.md"
    doc.write_text("# Router\n\nHold the reset pin for 12 seconds.")
    tab(page, "Knowledge").click()
    page.locator("#kb-upload input[type=file]").set_input_files(str(doc))
    page.get_by_role("button", name="Add to knowledge base").click()
    page.wait_for_function(
        "() => document.querySelector('#kb-status')?.innerText.includes('added')",
        timeout=60_000,
    )
    status = page.locator("#kb-status").inner_text()
    assert "router.md" in status and "added" in status


KB_DOCS_HAVE = """(name) => document.querySelector('#kb-docs')?.innerText.includes(name)"""


def test_delete_a_document_by_picking_it_and_confirming(page, launched, tmp_path):
    """No id to copy: a click on the row, then the browser's confirmation; a dismissed
    confirmation deletes nothing."""
    keep, drop = tmp_path / "keep-me.md", tmp_path / "drop-me.md"
    keep.write_text("# Keep\n\nThe spare key is in the blue box.")
    drop.write_text("# Drop\n\nThe old wifi password was hunter2.")
    launched[1].knowledge.ingest([keep, drop])
    tab(page, "Knowledge").click()
    page.get_by_role("button", name="Refresh list").click()
    page.wait_for_function(KB_DOCS_HAVE, arg="drop-me.md", timeout=30_000)
    page.locator("#kb-docs [role=gridcell]", has_text="drop-me.md").first.click()
    page.wait_for_function(
        "() => document.querySelector('#kb-deleted')?.innerText.includes('drop-me.md')",
        timeout=30_000,
    )
    picked = page.locator("#kb-pick textarea, #kb-pick input").first.input_value()
    assert picked and picked != "drop-me.md"  # the document's id, filled in for the user
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#kb-delete").click()
    page.wait_for_function(
        "() => document.querySelector('#kb-deleted')?.innerText.includes('Nothing deleted')",
        timeout=30_000,
    )
    assert any(d.source.endswith("drop-me.md") for d in launched[1].knowledge.list())
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#kb-delete").click()
    page.wait_for_function(
        "() => document.querySelector('#kb-deleted')?.innerText.includes('Deleted drop-me.md')",
        timeout=30_000,
    )
    sources = [d.source for d in launched[1].knowledge.list()]
    assert not any(s.endswith("drop-me.md") for s in sources)
    assert any(s.endswith("keep-me.md") for s in sources)
    assert not page.locator("#kb-docs").inner_text().count("drop-me.md")


def test_a_first_visitor_can_try_a_shipped_example(page):
    tab(page, "Chat").click()
    assert "packaged models" in page.locator("#offline-note").inner_text()
    page.locator("#examples").get_by_text("What is the total on this receipt?").first.click()
    box = page.get_by_placeholder("Ask about an image")
    page.wait_for_function(
        "() => [...document.querySelectorAll('textarea')].some("
        "(t) => t.value.includes('total on this receipt'))",
        timeout=30_000,
    )
    box.press("Enter")
    page.wait_for_function(LAST_ANSWER_HAS, arg="6.90", timeout=120_000)


def test_chat_and_knowledge_are_tabs_of_one_bar(page, tmp_path):
    tab(page, "Chat").click()
    bars = page.locator("[role=tablist]")
    names = [bars.nth(i).inner_text() for i in range(bars.count())]
    assert any("Chat" in n and "Knowledge" in n for n in names), names
    assert page.get_by_placeholder("Ask about an image").is_visible()
    assert not page.locator("#kb-upload").is_visible()
    tab(page, "Knowledge").click()
    page.locator("#kb-upload").wait_for(state="visible", timeout=10_000)
    # one button per tab, also once the Knowledge tab was drawn (Gradio drew it twice when a
    # State was made beside the tabs)
    assert page.locator("button[role=tab]:visible").all_inner_texts() == ["Chat", "Knowledge"]
    # the Knowledge tab starts at the top of the page, not below the chat's examples
    assert page.locator("#kb-upload").bounding_box()["y"] < 900
    assert not page.get_by_placeholder("Ask about an image").is_visible()
    # every column of the documents table fits the page at 1280 pixels
    table = page.locator("#kb-docs").bounding_box()
    for header in DOCUMENT_HEADERS:
        cell = page.locator("#kb-docs th", has_text=header).first.bounding_box()
        assert cell["x"] + cell["width"] <= table["x"] + table["width"] + 1, header
    page.screenshot(path=tmp_path / "knowledge-tab.png")
    tab(page, "Chat").click()


ANSWERED = """([question, text]) => {
    const said = document.querySelector('#chatbot').innerText;
    const asked = said.lastIndexOf(question);
    return asked >= 0 && said.slice(asked + question.length).includes(text);
}"""
FIGURE_SHOWN = """() => {
    const bots = document.querySelectorAll('.bot, [data-testid="bot"]');
    const last = bots[bots.length - 1];
    return last && [...last.querySelectorAll('img')].some(
        (img) => img.complete && img.naturalWidth >= 300);
}"""


def test_show_me_the_wiring_diagram_answers_with_the_figure_itself(page, launched, tmp_path):
    from tests import factories

    manual = factories.pdf_with_figures(tmp_path / "pump-manual.pdf", tmp_path)
    launched[1].knowledge.ingest([manual])
    tab(page, "Chat").click()
    # The diagram (its only words are in its caption) and a chart drawn as vector paths are
    # each in their answer's message, large enough to read.
    for asked, said, shot in [
        ("Show me the wiring diagram.", "Here is Figure 3: Wiring diagram of the pump", "figure"),
        ("Show me the chart of monthly rainfall in Bergen.",
         "Here is Figure 4: Monthly rainfall in Bergen", "chart"),
    ]:  # fmt: skip
        _ask(page, asked)
        page.wait_for_function(ANSWERED, arg=[asked, said], timeout=120_000)
        page.wait_for_function(FIGURE_SHOWN, timeout=30_000)
        page.screenshot(path=tmp_path / f"{shot}-answer.png", full_page=True)


def test_a_photo_of_a_label_finds_its_manual_and_an_unknown_answer_lists_no_sources(
    page, launched, tmp_path
):
    from tests import factories
    from tools.answering.grounding import refuses

    assert launched[1].knowledge.ingest(factories.appliance_manuals(tmp_path)).ok
    label = factories.rating_label(tmp_path / "label.png", "HEATWAVE R-7")
    tab(page, "Chat").click()
    page.locator(STOP).wait_for(state="hidden", timeout=120_000)
    page.locator("input[type=file]").first.set_input_files(str(label))
    _ask(page, "Find the manual for this.")
    page.wait_for_function(ANSWERED, arg=["for this.", "r-7-manual.md"], timeout=120_000)
    page.screenshot(path=tmp_path / "label-manual.png", full_page=True)
    _ask(page, "How much did the HEATWAVE R-7 radiator cost?")  # no manual says
    page.wait_for_function(ANSWERED, arg=["cost?", "."], timeout=120_000)
    page.locator(STOP).wait_for(state="hidden", timeout=120_000)
    answer = page.locator("#chatbot").inner_text().split("cost?")[-1]
    assert refuses(answer), answer
    assert "Sources:" not in answer and "also searched" not in answer, answer
    page.screenshot(path=tmp_path / "unknown-answer.png", full_page=True)


CITED_PAGE = """() => {
    const answers = document.querySelectorAll('.bot, [data-testid="bot"]');
    const source = answers[answers.length - 1].querySelector('details.vira-source');
    if (!source) return null;
    source.open = true;  // what a click on "[1] manual.pdf, p. 2" does
    const img = source.querySelector('img.vira-page');
    // the excerpt is shown large enough to read; a click opens the whole page
    const ready = img && img.complete && img.naturalWidth > 0;
    const whole = source.querySelector('a.vira-whole-page');
    return ready && img.getBoundingClientRect().width >= 540 ? [img.src, whole.href] : null;
}"""


@pytest.mark.parametrize(
    ("name", "question", "fact"),
    [
        ("kettle-manual.pdf", "How many months does the Brewmaster warranty last?", "36"),
        ("boiler-scan.pdf", "What was the boiler's flue gas reading?", "42"),
    ],
)
def test_a_citation_opens_its_pdf_page_with_the_passage_highlighted(
    page, launched, tmp_path, name, question, fact
):
    import urllib.error
    import urllib.request

    from tests import factories

    if name.endswith("scan.pdf"):  # no text layer: the highlight comes from the OCR's boxes
        lines = ["Boiler service record", "Flue gas reading 42 ppm", "Next service in March"]
        pdf = factories.scanned_pdf(tmp_path / name, lines)
    else:
        filler = "The Brewmaster kettle boils a litre in three minutes. " * 10
        warranty = "The Brewmaster warranty lasts 36 months from the date of purchase."
        pdf = factories.text_pdf(tmp_path / name, ["Brewmaster kettle manual", filler + warranty])
    assert launched[1].knowledge.ingest([pdf]).ok
    tab(page, "Chat").click()
    _ask(page, question)
    page.wait_for_function(ANSWERED, arg=[question, name], timeout=120_000)
    said = page.locator("#chatbot").inner_text().split(question)[-1].split("Sources:")[0]
    assert fact in said
    excerpt, whole = page.wait_for_function(CITED_PAGE, timeout=30_000).json_value()
    page.locator("details.vira-source[open]").last.screenshot(path=tmp_path / f"{name}.png")
    opened = page.request.get(whole)  # "Open the page", with this browser's cookie
    assert opened.ok and opened.headers["content-type"] == "image/jpeg"
    for url in (excerpt, whole):
        with pytest.raises(urllib.error.HTTPError) as refused:  # another client, no cookie
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 404


def test_a_picture_is_read_while_its_question_is_typed(
    page, launched, tmp_path, caplog, monkeypatch
):
    """In a new chat: the question then reads only what follows the picture's facts in its
    message (the server's own counts), and the picture is read once. (Last: the tests before
    go on in the first chat.)"""
    assistant = launched[1]
    vlm, asked = assistant.vlm, []
    stream = vlm.stream
    monkeypatch.setattr(vlm, "stream", lambda request: asked.append(request) or stream(request))
    photo = tmp_path / "rocket-top.png"
    Image.fromarray(data.rocket()[:300]).save(photo)  # a picture no other test reads
    vlm.warm_up()  # as the app does at start
    page.locator(STOP).wait_for(state="hidden", timeout=120_000)
    page.locator("#new-chat").click()
    page.wait_for_function("() => !document.querySelector('#chatbot .bot')", timeout=10_000)
    read = assistant.encoder.model_calls
    page.locator("input[type=file]").first.set_input_files(str(photo))
    until(lambda: assistant.encoder.model_calls > read, 60, "the picture was not read ahead")
    with caplog.at_level(logging.DEBUG, logger="tools.answering.backends.openai_compat"):
        caplog.clear()
        _ask(page, "What colours does it have?")
        page.locator(STOP).wait_for(state="hidden", timeout=120_000)
    assert _last_answer(page).strip() and assistant.encoder.model_calls == read + 1
    read_now = int(re.findall(r"prefill (\d+) tokens", caplog.text)[-1])
    facts = facts_prefix(asked[-1])
    rest = vlm.render(asked[-1]).removeprefix(facts)
    count = vlm.server.count_tokens
    assert count(facts) > 40 and read_now <= count(rest) + 8, (read_now, rest)
