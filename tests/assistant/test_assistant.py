"""The Python API end to end with the offline default models: follow-ups, several images,
answers from documents with citations, restarts, isolation and bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from skimage import data

from assistant import Assistant, Settings
from imaging import Ocr
from tools.answering.backends.composed import ComposedModel
from tools.answering.backends.llama_server import ServerOptions, installed_binary
from tools.answering.backends.served import ServedBackend
from tools.answering.prompt import AnswerRequest, facts_prefix

pytestmark = pytest.mark.slow


@pytest.fixture
def make_assistant(make_kb, served_vlm, tmp_path):
    def make() -> Assistant:
        settings = Settings(data_dir=tmp_path / "data")
        return Assistant(settings, knowledge=make_kb(), vlm=served_vlm)

    return make


@pytest.fixture
def photos(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name in ("chelsea", "coffee"):
        paths[name] = tmp_path / f"{name}.png"
        Image.fromarray(getattr(data, name)()).save(paths[name])
    return paths


def test_follow_up_uses_the_same_image_without_re_encoding(make_assistant, photos):
    assistant = make_assistant()
    session = assistant.session("alice")
    events = list(session.ask("What animal is this?", images=[photos["chelsea"]]))
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["tool_call", "tool_result"] and kinds[-1] == "answer"
    assert kinds.count("token") > 1
    first = events[-1].answer
    assert re.search(r"\bcat\b", first.text, re.I) and first.images_used == ["img-1"]
    calls = assistant.encoder.model_calls
    follow = session.ask_text("What colour is it?")
    assert follow.images_used == ["img-1"]
    assert assistant.encoder.model_calls == calls  # a follow-up never re-encodes
    assert re.search(r"brown|tan|gr[ae]y|orange", follow.text, re.I), follow.text


def test_two_images_then_compare(make_assistant, photos):
    session = make_assistant().session("bob")
    two = [photos["chelsea"], photos["coffee"]]
    events = list(session.ask("What is in these pictures?", images=two))
    # Several pictures: the user is told how far the reading got, before each one.
    said = [(e.kind, e.text or e.data.get("image")) for e in events if e.kind != "token"]
    assert said[:4] == [
        ("status", "Reading picture 1 of 2 (chelsea.png)…"), ("tool_call", "chelsea.png"),
        ("tool_result", said[2][1]), ("status", "Reading picture 2 of 2 (coffee.png)…"),
    ]  # fmt: skip
    answer = session.ask_text("Compare the first one with the second.")
    assert answer.images_used == ["img-1", "img-2"]
    assert [i.image_id for i in session.images()] == ["img-1", "img-2"]


def test_answer_from_a_document_with_its_citation(make_assistant, tmp_path):
    assistant = make_assistant()
    doc = tmp_path / "zephyr.md"
    doc.write_text(
        "# Zephyr-9 care\n\nThe Zephyr-9 espresso machine must be descaled every 3 months."
    )
    assistant.knowledge.ingest([doc])
    answer = assistant.session("carol").ask_text("How often should the Zephyr-9 be descaled?")
    assert "3 months" in answer.text
    cited = [s for s in answer.sources if s.cited]
    assert cited and cited[0].hit.source == "zephyr.md" and "[1]" in answer.text


def test_answers_are_short_unless_a_detailed_one_is_asked_for(make_assistant, photos):
    assistant = make_assistant()

    def sentences(text: str) -> list[str]:
        return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]

    question, cat = "What is in this picture?", [photos["chelsea"]]
    short = assistant.session("s-short").ask_text(question, images=cat)
    detailed = assistant.session("s-long").ask_text(question, images=cat, detailed=True)
    assert len(sentences(short.text)) <= 2 and "cat" in short.text.lower(), short.text
    assert len(sentences(detailed.text)) >= 3, detailed.text
    assert "cat" in detailed.text.lower() and len(detailed.text) > 1.5 * len(short.text)


def test_a_conversation_comes_back_whole_and_exports_as_markdown(make_assistant, photos, tmp_path):
    doc = tmp_path / "cats.md"
    doc.write_text("# Cats\n\nA tabby cat should be brushed once a week.")
    assistant = make_assistant()
    assistant.knowledge.ingest([doc])
    chat = assistant.session("c-gina")
    assert chat.claim("browser:gina")
    first = chat.ask_text("What animal is this?", images=[photos["chelsea"]])
    second = chat.ask_text("How often should a tabby cat be brushed?")
    # After a restart the conversation is listed and shows what was shown, sources included.
    restarted = make_assistant()
    (listed,) = restarted.conversations("browser:gina")
    assert (listed.id, listed.title) == ("c-gina", "What animal is this?")
    shown = restarted.session("c-gina").transcript()
    assert [e.question for e in shown] == [
        "What animal is this?",
        "How often should a tabby cat be brushed?",
    ]
    assert [i.name for i in shown[0].uploaded] == ["chelsea.png"] and shown[1].uploaded == ()
    assert [e.answer for e in shown] == [first, second]
    assert any(s.cited and s.hit.source == "cats.md" for s in shown[1].answer.sources)
    markdown = restarted.session("c-gina").markdown("Gina's cat")
    assert markdown.startswith("# Gina's cat\n") and "*Pictures: img-1 (chelsea.png)*" in markdown
    assert f"**Vira:** {second.text}" in markdown and "- [1] cats.md: A tabby cat" in markdown
    restarted.session("c-gina").delete()
    assert restarted.conversations("browser:gina") == [] and not shown[0].uploaded[0].path.exists()


def test_perception_questions_skip_unrelated_passages(make_assistant, photos, tmp_path):
    assistant = make_assistant()
    (tmp_path / "tax.md").write_text("# Taxes\n\nVAT returns are due on the 20th of each month.")
    assistant.knowledge.ingest([tmp_path / "tax.md"])
    answer = assistant.session("dan").ask_text("What animal is this?", images=[photos["chelsea"]])
    assert answer.sources == []


def test_sessions_survive_a_restart_and_stay_isolated(make_assistant, photos):
    first = make_assistant()
    first.session("erin").ask_text("What animal is this?", images=[photos["chelsea"]])
    restarted = make_assistant()
    erin = restarted.session("erin")
    assert [(i.image_id, i.name) for i in erin.images()] == [("img-1", "chelsea.png")]
    answer = erin.ask_text("And what colour is it?")
    assert answer.images_used == ["img-1"] and restarted.encoder.model_calls == 0
    stranger = restarted.session("frank")
    assert stranger.images() == []
    assert stranger.ask_text("What animal is this?").images_used == []


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Ask a question"), ("why " * 6000, "the limit is 20,000")],
)
def test_empty_and_enormous_questions(make_assistant, text, message):
    events = list(make_assistant().session("gil").ask(text))
    assert [e.kind for e in events] == ["error"] and message in events[0].text


def test_a_bad_image_refuses_the_whole_message_and_keeps_nothing(make_assistant, tmp_path):
    junk = tmp_path / "photo.png"
    junk.write_bytes(b"not an image at all")
    good = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(good)
    session = make_assistant().session("hal")
    events = list(session.ask("What is this?", images=[good, junk]))
    errors = [e.text for e in events if e.kind == "error"]
    assert errors == [
        "Could not read image 'photo.png': not a readable image (unknown format, or not an "
        "image). Nothing from this message was kept."
    ]
    assert "answer" not in {e.kind for e in events}
    assert session.images() == [] and session.assistant.memory.history("hal", 1000) == []


@pytest.fixture
def own_vlm(tmp_path):
    """An answering model of the test's own (the shared one has started already)."""
    made: list[ServedBackend] = []

    def make(model: Path) -> ServedBackend:
        log = tmp_path / "logs" / "llama-server.log"
        made.append(
            ServedBackend(ComposedModel(model), installed_binary(), ServerOptions(slots=1), log)
        )
        return made[-1]

    yield make
    for vlm in made:
        vlm.close()


def _primed(vlm: ServedBackend) -> bool:
    """The server runs and holds the system prompt's state, which every chat starts with."""
    return vlm.running and any(vlm.pool.folder.glob("system-*.bin"))


def test_warm_up_loads_every_model_in_the_background(make_kb, gguf_path, tmp_path, own_vlm):
    vlm = own_vlm(gguf_path)
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=make_kb(), vlm=vlm)
    assert not vlm.running and assistant.encoder.model_calls == 0  # lazy until then
    assistant.warm_up().join(timeout=120)
    assert _primed(vlm)
    assert assistant.encoder.model_calls == 1


def test_a_failed_warm_up_is_logged_and_the_app_keeps_going(make_kb, tmp_path, caplog, own_vlm):
    vlm = own_vlm(tmp_path / "missing.gguf")
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=make_kb(), vlm=vlm)
    assistant.warm_up().join(timeout=120)
    assert "warming up the models failed" in caplog.text
    events = list(assistant.session("s").ask("Hello?"))
    assert events[-1].kind == "error" and "unavailable" in events[-1].text


def test_the_models_load_side_by_side_and_one_failing_stops_no_other(
    make_kb, gguf_path, tmp_path, caplog, own_vlm
):
    class BrokenOcr(Ocr):
        def lines(self, image):
            raise RuntimeError("the OCR models are damaged")

    vlm = own_vlm(gguf_path)
    assistant = Assistant(Settings(data_dir=tmp_path / "data"), knowledge=make_kb(), vlm=vlm)
    assistant.encoder.ocr = BrokenOcr()
    assistant.warm_up().join(timeout=120)
    assert "the OCR models are damaged" in caplog.text
    assert _primed(vlm)  # the answering model loaded all the same


def test_the_text_embedder_is_warmed_up_only_when_there_is_something_to_search(
    make_assistant, tmp_path, monkeypatch
):
    assistant = make_assistant()
    encoded: list[list[str]] = []
    embedding = assistant.knowledge.embedding
    encode = embedding.encode
    monkeypatch.setattr(embedding, "encode", lambda texts: encoded.append(texts) or encode(texts))
    monkeypatch.setattr(assistant.vlm, "warm_up", lambda: None)  # not what this is about
    assistant.warm_up().join(timeout=120)
    assert encoded == []  # nothing to search: it would only take the CPU from the answer
    (tmp_path / "kettle.md").write_text("# Kettle\n\nThe K-2 kettle boils a litre in 3 minutes.")
    assistant.knowledge.ingest([tmp_path / "kettle.md"])
    encoded.clear()
    assistant.warm_up().join(timeout=120)
    assert encoded == [["warm up"]]


def test_pictures_attached_before_the_question_are_read_ahead(
    make_assistant, photos, tmp_path, monkeypatch
):
    """What is read ahead is the start of the prompt the question then sends, also for a
    second picture later in the chat; nothing is kept until the message is sent."""
    assistant = make_assistant()
    ahead: list[AnswerRequest] = []
    monkeypatch.setattr(assistant.vlm, "prefill", ahead.append, raising=False)
    session = assistant.session("ann")
    asked = [("Describe it in one sentence.", "chelsea"), ("Compare it with the first.", "coffee")]
    for n, (question, name) in enumerate(asked):
        session.prepare([photos[name]]).result(timeout=120)
        assert len(ahead) == n + 1 and len(session.images()) == n  # nothing kept yet
        read = assistant.encoder.model_calls
        session.ask_text(question, [photos[name]])
        assert assistant.encoder.model_calls == read  # the picture was read once, ahead
        sent = assistant.memory.history("ann", 100_000)[-2]
        assert sent.prompt.startswith(facts_prefix(ahead[-1]) + "\n\n"), sent.prompt
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    assert session.prepare([broken]).result(timeout=60) is None and len(ahead) == 2
    assert len(session.images()) == 2


def test_an_answer_that_does_not_know_lists_no_sources(make_assistant, tmp_path):
    assistant = make_assistant()
    (tmp_path / "kettle.md").write_text(
        "# Kettle K-2\n\nThe K-2 kettle boils a litre in three minutes. Descale it monthly."
    )
    assistant.knowledge.ingest([tmp_path / "kettle.md"])
    answer = assistant.session("erin").ask_text("How much does the K-2 kettle cost?")
    assert re.search(r"don't know|do not know|not (say|mention)", answer.text, re.I), answer.text
    assert answer.sources == []
    boils = assistant.session("erin").ask_text("How fast does the K-2 kettle boil a litre?")
    assert "three minutes" in boils.text and [s.cited for s in boils.sources][:1] == [True]


def test_show_me_a_figure_finds_it_by_its_caption_and_answers_with_it(make_assistant, tmp_path):
    from tests import factories

    assistant = make_assistant()
    assistant.knowledge.ingest([factories.pdf_with_figures(tmp_path / "pump.pdf", tmp_path)])
    session = assistant.session("fay")
    diagram = session.ask_text("Show me the wiring diagram.")
    # the diagram's only words are in its caption; its picture is the cited source
    assert diagram.text.startswith("Here is Figure 3: Wiring diagram of the pump controller")
    assert [(s.hit.kind, s.hit.page, s.cited) for s in diagram.sources] == [("image", 1, True)]
    chart = session.ask_text("Show me the chart of monthly rainfall in Bergen.")
    assert "Figure 4: Monthly rainfall in Bergen" in chart.text
    assert chart.sources[0].hit.kind == "image" and chart.sources[0].hit.page == 2
    missing = session.ask_text("Show me the diagram of the boiler.")
    assert missing.text.startswith("No: I found no picture") and missing.sources == []


def test_a_documents_picture_that_looks_like_the_photo_is_not_crowded_out_by_words(
    make_assistant, tmp_path
):
    from fpdf import FPDF

    assistant = make_assistant()
    for n in range(4):  # notes that share the photo's label words, with no picture
        (tmp_path / f"note-{n}.md").write_text(f"# Note {n}\n\nThe tabby cat sleeps on mat {n}.")
    shot = tmp_path / "shot.jpg"
    Image.fromarray(data.chelsea()).crop((60, 30, 400, 280)).save(shot)  # another framing
    sheet = tmp_path / "adoption.pdf"
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "Adoption sheet for Mog.")
    pdf.image(str(shot), w=90)
    pdf.output(str(sheet))
    assistant.knowledge.ingest([*tmp_path.glob("note-*.md"), sheet])
    cat = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(cat)
    found = assistant.search_with_picture(assistant.access.user("x"), cat, k=3)
    assert "adoption.pdf" in [h.source for h in found]
    assert any(h.source.startswith("note-") for h in found)  # and the words' passages


def test_a_photo_of_a_rating_label_finds_its_manual_among_ten(make_assistant, tmp_path):
    from assistant.orchestrator import NOTHING_ABOUT_IT
    from tests import factories

    assistant = make_assistant()
    assistant.knowledge.ingest(factories.appliance_manuals(tmp_path))
    label = factories.rating_label(tmp_path / "label.png", "AQUAFLOW P-40")
    answer = assistant.session("gus").ask_text("Find the manual for this.", images=[label])
    cited = [s.hit.source for s in answer.sources if s.cited]
    assert cited and cited[0] == "p-40-manual.md", (answer.text, cited)
    cat = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(cat)
    nothing = assistant.session("gus-2").ask_text("Do my documents say anything about this?", [cat])
    assert nothing.text == NOTHING_ABOUT_IT and nothing.sources == []
