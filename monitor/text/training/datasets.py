"""Readers for ../shared/data: sentiment sets mapped to one label scheme, and the 泰迪杯 routing sets."""

from __future__ import annotations

import csv
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from monitor.text.sentiment import NEGATIVE, negative_kind

DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"

# Sentiment classes shared by every source: emotion sets keep neutral/surprise apart from positive, so the
# model learns that news-like and surprised posts are not negative (SMP2020 counts only angry/sad/fear).
NEG, POS, NEUTRAL, SURPRISE = NEGATIVE, "positive", "neutral", "surprise"
SMP_CLASSES = {"angry": NEG, "sad": NEG, "fear": NEG, "happy": POS, "neutral": NEUTRAL, "surprise": SURPRISE}
# covid19_weibo_emotion7: 0 fear, 1 disgust, 2 optimism, 3 surprise, 4 gratitude, 5 sadness, 6 anger
COVID7_CLASSES = {"0": NEG, "1": NEG, "2": POS, "3": SURPRISE, "4": POS, "5": NEG, "6": NEG}
# The kind of a negative text where the source says it (SMP2020's emotions; covid7's, disgust taken as anger):
# the model learns one class per kind (see monitor/text/sentiment.py).
SMP_KINDS = {"angry": "angry", "sad": "sad", "fear": "fear"}
COVID7_KINDS = {"0": "fear", "1": "angry", "5": "sad", "6": "angry"}
_EMOTICON = re.compile(r"\[[^\[\]\s]{1,8}\]")
SAME_MESSAGE_OVERLAP = 0.5
TOPICS = ("城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生")


@dataclass(frozen=True)
class Labelled:
    """One text with its label and where it came from."""

    text: str
    label: str
    source: str
    kind: str | None = None  # of a negative text: angry / sad / fear, where the source says


def training_label(r: Labelled) -> str:
    """The class a model learns: a negative text's kind when known (`negative:angry`), else its label."""
    return negative_kind(r.kind) if r.label == NEG and r.kind else r.label


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def smp(data: Path, name: str) -> list[Labelled]:
    """SMP2020-EWECT file (id,label,content) with emotions mapped to the four sentiment classes, negative
    texts keeping their emotion as their kind."""
    return [
        Labelled(r["content"], SMP_CLASSES[r["label"]], name, SMP_KINDS.get(r["label"]))
        for r in _rows(data / "sentiment" / f"{name}.csv")
    ]


def covid7(data: Path) -> list[Labelled]:
    """covid19_weibo_emotion7 mapped like SMP2020; negative texts keep their kind (disgust as anger)."""
    path = data / "sentiment" / "covid19_weibo_emotion7.csv"
    return [
        Labelled(r["review"], COVID7_CLASSES[r["label"]], "covid7", COVID7_KINDS.get(r["label"]))
        for r in _rows(path)
        if r["label"] in COVID7_CLASSES
    ]


def weibo2018(data: Path, split: str = "train") -> list[Labelled]:
    """weibo2018_{split}.txt: `mid,label,text`, 1 = positive."""
    out = []
    for line in (data / "sentiment" / f"weibo2018_{split}.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split(",", 2)
        if len(parts) == 3 and parts[1] in ("0", "1"):
            out.append(Labelled(parts[2], POS if parts[1] == "1" else NEG, "weibo2018"))
    return out


def senti100k(data: Path) -> list[Labelled]:
    """Emoticon-labelled Weibo: the emoticons are stripped, or the model would learn them instead of words."""
    rows = _rows(data / "sentiment" / "weibo_senti_100k_subset.csv")
    out = []
    for r in rows:
        text = _EMOTICON.sub("", r["review"]).strip()
        if text:
            out.append(Labelled(text, POS if r["label"] == "1" else NEG, "senti100k"))
    return out


def reviews(data: Path, name: str) -> list[Labelled]:
    """Hotel / food-delivery reviews (label,review; 1 = positive)."""
    rows = _rows(data / "sentiment" / f"{name}.csv")
    return [
        Labelled(r["review"], POS if r["label"] == "1" else NEG, name) for r in rows if r["label"] in "01"
    ]


def sentiment_train(data: Path) -> list[Labelled]:
    """Every training source (never the SMP eval files, which are the dev set); weibo2018's small test
    split is not our dev set, so it trains too."""
    return (
        smp(data, "virus_train")
        + covid7(data)
        + weibo2018(data)
        + weibo2018(data, "test")
        + senti100k(data)
        + reviews(data, "chnsenticorp_htl_all")
        + reviews(data, "waimai_10k")
    )


def sentiment_dev(data: Path) -> list[Labelled]:
    return smp(data, "virus_eval_labeled") + smp(data, "usual_eval_labeled")


@dataclass(frozen=True)
class RoutingSplit:
    """泰迪杯 附件2: segmented train/held-out rows and the raw-text sample (title, detail, label)."""

    train: list[Labelled]
    heldout: list[Labelled]
    heldout_in_sample: list[bool]
    raw_sample: list[tuple[str, str, str]]


def _bigrams(text: str) -> frozenset[str]:
    chars = "".join(text.lower().split())
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1))


def routing_split(data: Path, heldout_share: float = 0.1) -> RoutingSplit:
    """Held out: every segmented row that is one of the raw sample's messages (so the raw evaluation is
    unseen) plus a stable pseudo-random share of the rest (by a hash of the text, so reruns agree)."""
    seg = _rows(data / "routing" / "taidi2020_attachment2_train_segmented.csv")
    sample = _rows(data / "routing" / "attachment2_sample_labeled.csv")
    # Character bigrams survive segmentation and stop-word removal well enough to find the same message.
    sample_bigrams = [_bigrams(r["留言主题"] + r["留言详情"]) for r in sample]
    train: list[Labelled] = []
    heldout: list[Labelled] = []
    in_sample: list[bool] = []
    for r in seg:
        item = Labelled(r["text_segmented"], r["label"], "taidi_segmented")
        grams = _bigrams(r["text_segmented"])
        need = SAME_MESSAGE_OVERLAP * max(1, len(grams))
        overlaps = any(len(grams & s) >= need for s in sample_bigrams)
        bucket = zlib.crc32(r["text_segmented"].encode()) / 2**32
        if overlaps or bucket < heldout_share:
            heldout.append(item)
            in_sample.append(overlaps)
        else:
            train.append(item)
    raw = [(r["留言主题"], r["留言详情"], r["一级标签"]) for r in sample]
    return RoutingSplit(train, heldout, in_sample, raw)
