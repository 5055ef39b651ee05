"""Train, compare and export the negativity and topic models: `python -m monitor.text.training.train`.

Reads ../shared/data (never copied into the repository), compares the candidates on the dev sets, writes the
winners to monitor/text/models/*.npz and every figure to monitor/text/models/metrics.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from monitor.text.features import Doc, FeatureSpec, normalise
from monitor.text.linear import LinearModel
from monitor.text.sentiment import NEGATIVE, SentimentModel
from monitor.text.tokenize import Tokenizer
from monitor.text.training import datasets as ds
from monitor.text.training import topic_train
from monitor.text.training.dev_folds import assign_folds, nested_threshold_accuracy, out_of_fold, pick
from monitor.text.training.fit import best_joint_threshold, best_threshold, binary_metrics, snownlp_scores
from monitor.text.training.sentiment_fit import SentimentRecipe, fit_recipe

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
_CHAR_WORDS = FeatureSpec(19, 1, 3, True, False)
_REVIEWS = frozenset({"chnsenticorp_htl_all", "waimai_10k"})
SENTIMENT_CANDIDATES = {
    "linear word n-grams (jieba 1-2)": SentimentRecipe(FeatureSpec(19, 1, 0, True, True)),
    "linear char n-grams (1-3)": SentimentRecipe(FeatureSpec(19, 1, 3, False, False)),
    "linear char 1-3 + jieba words": SentimentRecipe(_CHAR_WORDS),
    "NB-scaled char 1-3 + jieba words (0.5+|r|, C=1)": SentimentRecipe(_CHAR_WORDS, 1.0, 0.5),
    "NB-scaled char 1-3 + jieba words (0.5+|r|, C=1), 2^20 buckets": SentimentRecipe(
        FeatureSpec(20, 1, 3, True, False), 1.0, 0.5
    ),
}
# The SMP2020 eval rows (the dev set) also train the shipped model, weighted as virus_train is; its dev
# figures are then out of fold (training/dev_folds.py).
DEV_SOURCE_WEIGHT = 5.0
# Measured with --ablations only (each fit takes minutes); never shipped unless moved above.
SENTIMENT_ABLATIONS = {
    "char 1-3 + jieba words, C=1": SentimentRecipe(_CHAR_WORDS, 1.0),
    "char 1-3 + jieba words, virus_train x10": SentimentRecipe(
        _CHAR_WORDS, source_weights={"virus_train": 10.0}
    ),
    "char 1-3 + jieba words, without hotel/waimai reviews": SentimentRecipe(
        _CHAR_WORDS, drop_sources=_REVIEWS
    ),
    "char 1-3 + jieba words, hotel/waimai reviews x0.3": SentimentRecipe(
        _CHAR_WORDS, source_weights={"virus_train": 5.0, **dict.fromkeys(_REVIEWS, 0.3)}
    ),
    "NB-scaled char 1-3 + jieba words (|r|, C=0.5)": SentimentRecipe(_CHAR_WORDS, 0.5, 0.0),
    "NB-scaled char 1-3 + jieba words (|r|, C=2)": SentimentRecipe(_CHAR_WORDS, 2.0, 0.0),
    "NB-scaled char 1-3 + jieba words (0.5+|r|, C=1), one negative class (no angry/sad/fear kinds)":
        SentimentRecipe(_CHAR_WORDS, 1.0, 0.5, kinds=False),
}  # fmt: skip


def log(msg: str) -> None:
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sentiment_docs(tok: Tokenizer, texts: Sequence[str]) -> list[Doc]:
    out: list[Doc] = []
    for text in texts:
        clean = normalise(text)
        out.append((clean, [len(t) for t in tok.cut(clean)]))
    return out


def train_sentiment(
    data: Path, tok: Tokenizer, out_dir: Path, quick: bool, snownlp: bool, ablations: bool = False
) -> dict[str, Any]:
    train = ds.sentiment_train(data)
    dev = ds.sentiment_dev(data)
    if quick:
        train = train[::5]
    log(f"sentiment: {len(train)} training texts, {len(dev)} dev texts; tokenising")
    x_train = sentiment_docs(tok, [r.text for r in train])
    x_dev = sentiment_docs(tok, [r.text for r in dev])
    y_dev = np.array([r.label == NEGATIVE for r in dev])
    domain = np.array([r.source for r in dev])
    report: dict[str, Any] = {"train_sizes": _counts([r.source for r in train]), "dev_size": len(dev)}
    candidates: dict[str, dict[str, Any]] = {}
    if snownlp:
        log("sentiment: snownlp default (slow: ~150 texts/s)")
        candidates["snownlp default"] = _binary_report(
            snownlp_scores([r.text for r in dev], None), y_dev, domain
        )
        retrain = [r for r in train if r.source in ("virus_train", "weibo2018")]
        log(f"sentiment: snownlp retrained on virus_train + weibo2018 ({len(retrain)} texts)")
        candidates["snownlp retrained"] = _binary_report(
            snownlp_scores([r.text for r in dev], retrain), y_dev, domain
        )
    best: tuple[float, str, LinearModel] | None = None
    for name, recipe in SENTIMENT_CANDIDATES.items():
        log(f"sentiment: fitting {name}")
        model = fit_recipe(x_train, [ds.training_label(r) for r in train], [r.source for r in train], recipe)
        p = SentimentModel(model).negative_probability(x_dev)
        rep = _binary_report(p, y_dev, domain)
        candidates[name] = rep
        log(f"sentiment: {name}: {json.dumps(rep)}")
        if best is None or rep["accuracy_tuned"] > best[0]:
            best = (rep["accuracy_tuned"], name, model)
    if ablations:
        report["ablations"] = {}
        for name, recipe in SENTIMENT_ABLATIONS.items():
            log(f"sentiment: ablation {name}")
            model = fit_recipe(
                x_train, [ds.training_label(r) for r in train], [r.source for r in train], recipe
            )
            p = SentimentModel(model).negative_probability(x_dev)
            report["ablations"][name] = _binary_report(p, y_dev, domain)
            log(f"sentiment: {name}: {json.dumps(report['ablations'][name])}")
    assert best is not None
    name = best[1]
    report["candidates"] = candidates
    report["with_dev_folds"], oof, threshold = _dev_fold_scores(
        SENTIMENT_CANDIDATES[name], train, x_train, dev, x_dev, y_dev, domain
    )
    log(f"sentiment: final fit of {name} on the training sources and every dev row")
    model = fit_recipe(
        x_train + x_dev,
        [ds.training_label(r) for r in train] + [ds.training_label(r) for r in dev],
        [r.source for r in train] + [r.source for r in dev],
        _with_dev(SENTIMENT_CANDIDATES[name]),
    )
    shipped = LinearModel(
        model.spec, model.classes, model.weights, model.scale, model.bias, model.idf,
        (("negative_logit_offset", math.log(threshold / (1 - threshold))),),
    )  # fmt: skip
    path = out_dir / "sentiment.npz"
    shipped.save(path)
    report["shipped"] = {
        "candidate": f"{name}, trained also on the SMP2020 eval rows (x{DEV_SOURCE_WEIGHT:g})",
        "threshold": threshold,
        "dev_figures": "out of fold: each dev text scored by a model that did not train on it",
        **binary_metrics(oof, y_dev, threshold),
        "bytes": path.stat().st_size,
    }
    return report


def _with_dev(recipe: SentimentRecipe) -> SentimentRecipe:
    extra = dict.fromkeys(("virus_eval_labeled", "usual_eval_labeled"), DEV_SOURCE_WEIGHT)
    return dataclasses.replace(recipe, source_weights={**recipe.source_weights, **extra})


def _dev_fold_scores(
    recipe: SentimentRecipe,
    train: Sequence[ds.Labelled],
    x_train: list[Doc],
    dev: Sequence[ds.Labelled],
    x_dev: list[Doc],
    y_dev: np.ndarray[Any, Any],
    domain: np.ndarray[Any, Any],
) -> tuple[dict[str, Any], np.ndarray[Any, Any], float]:
    """Out-of-fold P(negative) of the recipe trained on the training sources plus the other dev folds, the
    threshold chosen on them (accuracy + negative F1), and the report of both."""
    fold = assign_folds([r.source for r in dev])
    labels, sources = [ds.training_label(r) for r in train], [r.source for r in train]

    def fit_and_score(fit_idx: np.ndarray[Any, Any], held: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        model = fit_recipe(
            x_train + pick(x_dev, fit_idx),
            labels + [ds.training_label(r) for r in pick(dev, fit_idx)],
            sources + [r.source for r in pick(dev, fit_idx)],
            _with_dev(recipe),
        )
        return SentimentModel(model).negative_probability(pick(x_dev, held))

    oof = out_of_fold(fold, fit_and_score, lambda k: log(f"sentiment: dev fold {k + 1} of {fold.max() + 1}"))
    threshold = best_joint_threshold(oof, y_dev)
    report = {
        "dev_source_weight": DEV_SOURCE_WEIGHT,
        "folds": int(fold.max()) + 1,
        **_binary_report(oof, y_dev, domain),
        "threshold_joint": threshold,
        "at_threshold_joint": binary_metrics(oof, y_dev, threshold),
        "accuracy_nested_threshold": nested_threshold_accuracy(oof, y_dev, fold, best_threshold),
        "accuracy_nested_joint_threshold": nested_threshold_accuracy(oof, y_dev, fold, best_joint_threshold),
    }
    log(f"sentiment: with dev folds: {json.dumps(report)}")
    return report, oof, threshold


def train_topic(data: Path, tok: Tokenizer, out_dir: Path) -> dict[str, Any]:
    return topic_train.train_topic(data, tok, out_dir)


def _counts(items: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def _binary_report(
    p_neg: np.ndarray[Any, Any], y: np.ndarray[Any, Any], domain: np.ndarray[Any, Any]
) -> dict[str, Any]:
    """Untuned (0.5), tuned-on-dev, and cross-fitted (threshold from one domain applied to the other)."""
    tuned = best_threshold(p_neg, y)
    virus, usual = domain == "virus_eval_labeled", domain == "usual_eval_labeled"
    t_v, t_u = best_threshold(p_neg[virus], y[virus]), best_threshold(p_neg[usual], y[usual])
    cross = np.where(virus, p_neg >= t_u, p_neg >= t_v)
    at_half = binary_metrics(p_neg, y, 0.5)
    at_tuned = binary_metrics(p_neg, y, tuned)
    return {
        "accuracy": at_half["accuracy"],
        "negative_f1": at_half["negative_f1"],
        "threshold": tuned,
        "accuracy_tuned": at_tuned["accuracy"],
        "negative_f1_tuned": at_tuned["negative_f1"],
        "accuracy_crossfit": round(float(np.mean(cross == y)), 4),
        "accuracy_virus_tuned": binary_metrics(p_neg[virus], y[virus], tuned)["accuracy"],
        "accuracy_usual_tuned": binary_metrics(p_neg[usual], y[usual], tuned)["accuracy"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.text.training.train", description=__doc__)
    parser.add_argument("--data", type=Path, default=ds.DEFAULT_DATA, help="the shared data directory")
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    parser.add_argument("--only", choices=("sentiment", "topic"), help="train one model only")
    parser.add_argument("--quick", action="store_true", help="a fifth of the sentiment data (smoke run)")
    parser.add_argument("--no-snownlp", action="store_true", help="skip the slow snownlp baselines")
    parser.add_argument("--ablations", action="store_true", help="also measure the sentiment ablations")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer()
    metrics_path = args.out / "metrics.json"
    metrics: dict[str, Any] = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "sentiment": lambda: train_sentiment(
            args.data, tok, args.out, args.quick, not args.no_snownlp, args.ablations
        ),
        "topic": lambda: train_topic(args.data, tok, args.out),
    }
    for key, step in steps.items():
        if args.only in (None, key):
            previous = metrics.get(key, {})
            metrics[key] = step()
            if "ablations" in previous and "ablations" not in metrics[key]:
                metrics[key]["ablations"] = previous["ablations"]  # measured by an earlier --ablations run
    metrics_path.write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(metrics, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
