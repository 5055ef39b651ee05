"""Text analysis benchmark: dev-set quality of every candidate and `yuqing classify` speed vs snownlp.

`python -m bench.text_bench [--quick]` prints one JSON object. Model figures of the shipped artefacts are
measured here through the run-time code; the other candidates' figures come from the training report
(monitor/text/models/metrics.json, written by monitor/text/training/train.py); snownlp's default model is
measured here, in the same run as `yuqing classify`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MODELS = ROOT / "monitor" / "text" / "models"
RESPONDERS = ROOT / "responders"
WEIBO_STREAM = DATA / "events" / "covid19_weibo_unlabeled_daily" / "covid_weibo_daily_sample.csv"


def weibo_texts(limit: int) -> list[str]:
    """Distinct real Weibo posts (the unlabeled COVID-19 stream): Weibo-length, about 100 characters."""
    seen: dict[str, None] = {}
    with WEIBO_STREAM.open(encoding="utf-8", errors="replace", newline="") as f:
        for row in csv.DictReader(f):
            text = (row.get("text") or "").strip()
            if text:
                seen.setdefault(text)
            if len(seen) >= limit:
                break
    return list(seen)


def measure_load() -> dict[str, float]:
    code = (
        "import time; t = time.perf_counter(); "
        "from monitor.text.analyzer import TextAnalyzer; "
        f"a = TextAnalyzer.from_path({str(RESPONDERS)!r}); a.load(); "
        "print(time.perf_counter() - t)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    return {"model_load_seconds": round(min(runs), 3), "model_load_seconds_max": round(max(runs), 3)}


def measure_tokenisers(texts: list[str]) -> dict[str, Any]:
    """The shipped tokeniser (jieba-rs with our dictionary) against Python jieba's `cut(HMM=False)` with the
    same words, in this process: load time, texts per second on normalised posts, and agreement."""
    import logging

    import jieba

    from monitor.text.analyzer import TextAnalyzer
    from monitor.text.features import normalise
    from monitor.text.tokenize import Tokenizer

    # a fresh instance with the analyser's words: its load is timed
    ours = Tokenizer(TextAnalyzer.from_path(RESPONDERS).tokenizer.extra_words)
    started = time.perf_counter()
    ours.load()
    ours_load = time.perf_counter() - started
    jieba.setLogLevel(logging.WARNING)
    started = time.perf_counter()
    reference = jieba.Tokenizer()
    reference.initialize()
    for word, freq in ours.words:
        reference.add_word(word, freq)
    jieba_load = time.perf_counter() - started
    docs = [normalise(t) for t in texts]
    started = time.perf_counter()
    cut_ours = [ours.cut_uncached(d) for d in docs]  # the cache would hide repeated texts
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    cut_jieba = [reference.lcut(d, HMM=False) for d in docs]
    jieba_s = time.perf_counter() - started
    same = sum(a == b for a, b in zip(cut_ours, cut_jieba, strict=True))
    return {
        "texts": len(docs),
        "shipped": "jieba-rs (rjieba), HMM off, user dictionary + responders' words",
        "texts_per_second": round(len(docs) / ours_s),
        "load_seconds": round(ours_load, 3),
        "baseline": "Python jieba 0.42 Tokenizer.lcut(HMM=False), same words",
        "baseline_texts_per_second": round(len(docs) / jieba_s),
        "baseline_load_seconds": round(jieba_load, 3),
        "speedup": round(jieba_s / ours_s, 1),
        "identical_token_lists": round(same / max(len(docs), 1), 4),
    }


def measure_classify(texts: list[str], workers: int) -> dict[str, Any]:
    data = "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts))
    cmd = [
        sys.executable,
        "-m",
        "monitor.cli",
        "classify",
        "--responders",
        str(RESPONDERS),
        "--workers",
        str(workers),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, input=data.encode(), capture_output=True, check=True)
    elapsed = time.perf_counter() - started
    max_rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = proc.stdout.decode().splitlines()
    errors = sum(1 for line in out if '"error"' in line[:200] and json.loads(line).get("error"))
    return {
        "texts": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "workers": workers,
        "seconds": round(elapsed, 2),
        "texts_per_second": round(len(texts) / elapsed),
        "output_lines": len(out),
        "errors": errors,
        "max_rss_mb_largest_process": round(max(max_rss_kb, before) / 1024, 1),
    }


def measure_snownlp_speed(texts: list[str]) -> float:
    from snownlp import SnowNLP

    _ = SnowNLP("预热").sentiments
    started = time.perf_counter()
    for text in texts:
        _ = SnowNLP(text).sentiments
    return round(len(texts) / (time.perf_counter() - started), 1)


def dev_sentiment(quick: bool) -> dict[str, Any]:
    import numpy as np

    from monitor.text.analyzer import TextAnalyzer
    from monitor.text.training import datasets as ds
    from monitor.text.training.fit import binary_metrics, snownlp_scores

    dev = ds.sentiment_dev(DATA)
    y = np.array([r.label == ds.NEG for r in dev])
    virus = np.array([r.source == "virus_eval_labeled" for r in dev])
    analyzer = TextAnalyzer()
    p = np.array([a.negative for a in analyzer.analyze_many([r.text for r in dev])])
    seen = {
        **binary_metrics(p, y, 0.5),
        "accuracy_virus": binary_metrics(p[virus], y[virus], 0.5)["accuracy"],
        "accuracy_usual": binary_metrics(p[~virus], y[~virus], 0.5)["accuracy"],
    }
    sample = slice(None, None, 4) if quick else slice(None)
    snow = snownlp_scores([r.text for r in dev][sample], None)
    training = json.loads((MODELS / "metrics.json").read_text(encoding="utf-8"))["sentiment"]
    return {
        "dev": "SMP2020-EWECT virus_eval_labeled + usual_eval_labeled (negative = angry/sad/fear)",
        "dev_size": len(dev),
        # The shipped model trains on the dev rows too: its honest figures are the training report's
        # out-of-fold ones; scoring it here on the rows it saw only checks the run-time code agrees.
        "shipped_out_of_fold_from_training_report": training.get("shipped"),
        "shipped_seen_in_training_measured_here": seen,
        "snownlp_default_measured": {**binary_metrics(snow, y[sample], 0.5), "texts": len(snow)},
    }


def dev_topic() -> dict[str, Any]:
    """The shipped topic model on the raw sample through the analyzer. It is fitted on every training row and
    on the raw sample itself, so the held-out figures are the training report's (copied here): the raw
    sample scored out of fold, and without any of its messages in training."""
    from monitor.text.analyzer import TextAnalyzer
    from monitor.text.training import datasets as ds
    from monitor.text.training.fit import macro_f1

    split = ds.routing_split(DATA)
    raw_texts = [f"{t} {d}" for t, d, _ in split.raw_sample]
    raw_true = [label for _, _, label in split.raw_sample]
    raw_model = [a.topic for a in TextAnalyzer().analyze_many(raw_texts)]
    raw_rules = [a.topic for a in TextAnalyzer.from_path(RESPONDERS).analyze_many(raw_texts)]
    shipped = json.loads((MODELS / "metrics.json").read_text(encoding="utf-8"))["topic"]["shipped"]
    return {
        "dev": "泰迪杯 附件2 raw sample (留言主题 + 留言详情), which the shipped model trained on",
        "raw_sample_size": len(raw_true),
        "raw_sample_macro_f1_model_seen_in_training": macro_f1(raw_true, raw_model, ds.TOPICS),
        "raw_sample_macro_f1_with_responder_keywords_seen_in_training": macro_f1(
            raw_true, raw_rules, ds.TOPICS
        ),
        "raw_sample_routed_outside_the_seven": sum(t not in ds.TOPICS for t in raw_rules),
        "held_out_from_training_report": {
            "grouped_cv_macro_f1": shipped["grouped_cv_macro_f1"],
            # the same cross-validation on the raw-sample messages' segmented rows only
            "grouped_cv_macro_f1_on_raw_sample_rows": shipped["grouped_cv_macro_f1_on_raw_sample_rows"],
            "raw_sample_macro_f1_out_of_fold": shipped["raw_sample_out_of_fold_macro_f1"],
            "raw_sample_macro_f1_no_raw_text_in_training": shipped["raw_sample_macro_f1"],
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.text_bench")
    parser.add_argument("--quick", action="store_true", help="fewer texts")
    args = parser.parse_args()
    n = 5000 if args.quick else 30000
    texts = weibo_texts(n)
    report: dict[str, Any] = {"machine_cores": len(os.sched_getaffinity(0))}
    report["load"] = measure_load()
    report["classify"] = measure_classify(texts, workers=2)
    report["classify_one_worker"] = measure_classify(texts[: n // 3], workers=1)
    report["tokeniser"] = measure_tokenisers(texts[: n // 3])
    snow_rate = measure_snownlp_speed(texts[:300] if args.quick else texts[:1000])
    report["snownlp_default_texts_per_second"] = snow_rate
    report["speedup_vs_snownlp"] = round(report["classify"]["texts_per_second"] / snow_rate, 1)
    report["sentiment"] = dev_sentiment(args.quick)
    report["topic"] = dev_topic()
    training = json.loads((MODELS / "metrics.json").read_text(encoding="utf-8"))
    report["candidates_from_training_report"] = {
        "sentiment": training.get("sentiment", {}).get("candidates"),
        "sentiment_ablations": training.get("sentiment", {}).get("ablations"),
        "topic": training.get("topic", {}).get("candidates"),
    }
    report["artefact_bytes"] = {p.name: p.stat().st_size for p in sorted(MODELS.glob("*.npz"))}
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
