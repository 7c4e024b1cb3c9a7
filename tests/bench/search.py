"""Policy search speed: question latency on the seed corpus and on a synthetic corpus of
10,000 passages, index build time, and a cold `python -m bot ask`.

Goals (issue 3): p95 ≤ 5 ms on the seeds, ≤ 20 ms at 10,000 passages, cold ask < 1.5 s.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from domain.answers import answer
from domain.corpus import Passage, PolicyDocument, split_sentences
from domain.search import SearchIndex
from store.datafiles import load_rubric, load_subsidy_table
from store.documents import all_documents
from store.search_index import build_index, load_answer_rules

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = REPO / "tests" / "qa" / "questions.toml"
ENGLISH = REPO / "tests" / "qa" / "english.toml"  # searched through the term table
SYNTHETIC_PASSAGES = 10_000
ROUNDS = 3
COLD_RUNS = 5


def _questions(path: Path = QUESTIONS) -> list[str]:
    with path.open("rb") as fh:
        return [q["text"] for q in tomllib.load(fh)["q"]]


def synthetic_corpus(documents: Sequence[PolicyDocument], size: int = SYNTHETIC_PASSAGES,
                     seed: int = 3) -> list[PolicyDocument]:
    """``size`` passages made by recombining the seeds' sentences (1–4 each) under their
    sections, in 100 documents."""
    rng = random.Random(seed)
    passages = [p for doc in documents for p in doc.passages]
    sentences = [s for p in passages for s in split_sentences(p.text)]
    out = []
    per_doc = size // 100
    for d in range(100):
        source = documents[d % len(documents)]
        doc_id = f"synthetic-{d:03d}"
        title = f"{source.title}（汇编{d + 1}）"
        made = []
        for ordinal in range(1, per_doc + 1):
            section = rng.choice(passages).section
            text = "".join(rng.sample(sentences, rng.randint(1, 4)))
            made.append(Passage(f"{doc_id}#{ordinal}", doc_id, title, section, text, ordinal))
        out.append(PolicyDocument(doc_id, title, "", source.issuer, source.date, "",
                                  tuple(made)))
    return out


def _latency(func: Callable[[str], Any], questions: Sequence[str]) -> dict[str, float]:
    times = []
    for _ in range(ROUNDS):
        for question in questions:
            started = time.perf_counter()
            func(question)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            "max_ms": round(times[-1], 2)}


def _timed(func: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = func()
    return result, round(time.perf_counter() - started, 2)


def _askers(index: SearchIndex) -> dict[str, Callable[[str], Any]]:
    rubric, table, rules = load_rubric(), load_subsidy_table(), load_answer_rules()
    return {"search": lambda q: index.search(q, 3),
            "answer": lambda q: answer(q, index, rubric, table, 3, rules=rules)}


def cold_ask(runs: int = COLD_RUNS) -> dict[str, float]:
    """`python -m bot ask …` in a fresh interpreter (token cache warm), several runs."""
    times = []
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "ask", "国家级的项目能补多少钱"], cwd=REPO,
                       env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


def run() -> dict[str, Any]:
    questions = _questions()
    seeds = all_documents()
    figures: dict[str, Any] = {}

    index, seconds = _timed(lambda: build_index(seeds))
    figures["seed_passages"] = len(index.passages)
    figures["seed_build_s (token cache warm)"] = seconds
    for name, func in _askers(index).items():
        figures[f"seed_{name}"] = _latency(func, questions)
    english = _questions(ENGLISH) if ENGLISH.exists() else []
    if english:
        figures["seed_answer_english"] = _latency(_askers(index)["answer"], english)

    synthetic = synthetic_corpus(seeds)
    with tempfile.TemporaryDirectory() as cache:
        big, cold = _timed(lambda: build_index(synthetic, folder=Path(cache)))
        _, warm = _timed(lambda: build_index(synthetic, folder=Path(cache)))
    figures["synthetic_passages"] = len(big.passages)
    figures["synthetic_build_s (jieba, cold cache)"] = cold
    figures["synthetic_build_s (token cache warm)"] = warm
    for name, func in _askers(big).items():
        figures[f"synthetic_{name}"] = _latency(func, questions)
    if english:
        figures["synthetic_answer_english"] = _latency(_askers(big)["answer"], english)

    build_index(seeds)  # leave the seeds' cache warm for the cold start below
    figures["cold_cli_ask"] = cold_ask()
    return figures
