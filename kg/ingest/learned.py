"""The learned layer of the mechanism finder: practices said in words no rule lists.

Labels and patterns (`kg.ingest.mechanisms`) are precise, but they find a practice only in
wording someone wrote down: on sentences written blind for this project, they found nine
in ten of the mechanisms said in the usual words and one in four of those said in free
paraphrase (data/eval/README.md). This layer adds, per sentence, the concepts that a
logistic regression over its character 1-4-grams (TF-IDF) scores at `ADD` or above, one
model per concept, trained on the `dev` sentences of the project's evaluation set
(data/eval/mechanism-sentences.yaml), never on its held-out `test` ones. It also doubts a
rule hit whose concept it scores under `DOUBT` in that sentence: `kg tag` and the
evaluation leave a doubted hit out, ingest keeps it as a claim and lists it for the
curator (on notices, where its sentences are longer than those it learned from, the
doubt was right for 10 of the seed's 34 doubted claims).

Training needs scikit-learn and takes about 2 s; the fitted numbers are kept in
ROOT/.kg-cache/tagger/ (or $KG_CACHE_DIR/tagger/) under a digest of the sentences, the
vocabulary's live concepts, this module and the library's version, as JSON and NumPy
arrays (no pickle). Scoring is done here, with NumPy: a sentence costs well under a
millisecond. A project without an evaluation set has no learned layer.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kg.core.layout import cache_dir
from kg.core.textio import atomic_write_bytes, atomic_write_text

NGRAMS = (1, 4)  # character n-grams: Chinese words need no segmentation here
MIN_DF = 2  # an n-gram of one training sentence only is noise
C = 10.0  # inverse regularisation, chosen on held-out rounds (README)
ADD = 0.5  # a concept scored at or above this is added to the rules' findings
DOUBT = 0.15  # a rule hit whose concept scores below this is doubted (chosen on rounds f-k)
MIN_POSITIVES = 2  # a concept with fewer gold sentences gets no model
_FORMAT = 1
_SPACES = re.compile(r"\s\s+")


@dataclass(frozen=True)
class LearnedModel:
    """Fitted numbers: the n-gram columns, their idf, one weight row per concept."""

    grams: dict[str, int]
    idf: np.ndarray  # (features,)
    weights: np.ndarray  # (concepts, features)
    bias: np.ndarray  # (concepts,)
    concepts: tuple[str, ...]

    def scores(self, text: str) -> dict[str, float]:
        """The probability of each concept for one sentence (`TfidfVectorizer` with
        sublinear tf and L2 norm, then the logistic function), as scikit-learn gives."""
        counts = Counter(
            column for gram in _grams(text) if (column := self.grams.get(gram)) is not None
        )
        if not counts:
            return {}
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(n) for n in counts.values()), float, len(counts))
        values = tf * self.idf[columns]
        values /= np.linalg.norm(values)
        logits = self.weights[:, columns] @ values + self.bias
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        return dict(zip(self.concepts, probabilities.tolist(), strict=True))

    # -- kept on disk --
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.savez(buffer, idf=self.idf, weights=self.weights, bias=self.bias)
        atomic_write_bytes(folder / "arrays.npz", buffer.getvalue())
        meta = {"format": _FORMAT, "concepts": list(self.concepts), "grams": self.grams}
        atomic_write_text(folder / "model.json", json.dumps(meta, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> LearnedModel | None:
        """The model kept in `folder`, or None if it is absent or not whole (it is then
        fitted again)."""
        try:
            meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
            with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:
                idf, weights, bias = arrays["idf"], arrays["weights"], arrays["bias"]
            if meta.get("format") != _FORMAT:
                return None
            grams, concepts = dict(meta["grams"]), tuple(meta["concepts"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        whole = (
            idf.shape == (len(grams),)
            and weights.shape == (len(concepts), len(grams))
            and bias.shape == (len(concepts),)
            and sorted(grams.values()) == list(range(len(grams)))
        )
        return cls(grams, idf, weights, bias, concepts) if whole else None


def _grams(text: str) -> list[str]:
    """scikit-learn's `char` analyzer: lower case, runs of white space as one space."""
    text = _SPACES.sub(" ", text.lower())
    lo, hi = NGRAMS
    return [text[i : i + n] for n in range(lo, hi + 1) for i in range(len(text) - n + 1)]


def train(sentences: Iterable[tuple[str, frozenset[str]]], concepts: Iterable[str]) -> LearnedModel:
    """Fit one model per concept of `concepts` with at least `MIN_POSITIVES` sentences.

    `sentences` are (text in match form, gold concepts). Deterministic: liblinear is
    seeded, and rows and concepts come in a fixed order.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    # One BLAS thread (the libraries are loaded above, so the limit reaches them): the fit
    # makes many small BLAS calls, between which OpenBLAS's idle threads spin; on a busy
    # 2-core machine they cost 4x the CPU and 2.5x the wall time of the fit.
    with threadpool_limits(limits=1, user_api="blas"):
        rows = list(sentences)
        vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=NGRAMS, min_df=MIN_DF, sublinear_tf=True, dtype=np.float64
        )
        features = vectorizer.fit_transform([text for text, _ in rows])
        kept, weights, bias = [], [], []
        for concept in sorted(set(concepts)):
            labels = np.array([concept in gold for _, gold in rows], dtype=np.int8)
            if labels.sum() < MIN_POSITIVES:
                continue
            model = LogisticRegression(
                C=C, class_weight="balanced", solver="liblinear", random_state=0
            ).fit(features, labels)
            kept.append(concept)
            weights.append(model.coef_[0])
            bias.append(model.intercept_[0])
    grams = {gram: int(column) for gram, column in sorted(vectorizer.vocabulary_.items())}
    return LearnedModel(
        grams, vectorizer.idf_.copy(), np.array(weights), np.array(bias), tuple(kept)
    )


def _library() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scikit-learn")  # not `import sklearn`: that takes 2 s
    except PackageNotFoundError:
        return "absent"


def learned_model(
    root: Path,
    training: list[tuple[str, frozenset[str]]],
    concepts: Iterable[str],
    source_key: str | None = None,
) -> LearnedModel | None:
    """The model for these training sentences: kept from an earlier run, else fitted
    and kept. None when there is nothing to learn from. `source_key`, the `file_key` of
    the evaluation file the sentences came from, finds the model next time without
    reading that file (`kept_for_file`)."""
    if not training:
        return None
    key = hashlib.sha256()
    for part in (
        str(_FORMAT),
        Path(__file__).read_text(encoding="utf-8"),
        _library(),
        json.dumps([[t, sorted(g)] for t, g in training], ensure_ascii=False),
        json.dumps(sorted(set(concepts))),
    ):
        key.update(part.encode("utf-8") + b"\0")
    folder = cache_dir(root, "tagger") / key.hexdigest()[:32]
    if (model := LearnedModel.load(folder)) is None:
        with _only_one(folder.with_suffix(".lock")):  # parallel runs fit it once
            if (model := LearnedModel.load(folder)) is None:
                model = train(training, concepts)
                with contextlib.suppress(OSError):  # a read-only checkout: fitted next time
                    model.save(folder)
    if source_key is not None:
        with contextlib.suppress(OSError):
            atomic_write_text(_pointer(root, source_key), folder.name)
    return model


def file_key(sentences: bytes, concepts: Iterable[str]) -> str:
    """The digest of an evaluation file's bytes, the live concepts and the code that reads
    the file and makes the training sentences (kg.core, kg.ingest): the name of the model
    made from that file, found without parsing it (0.6 s of each ingest, for 650 KB)."""
    package = Path(__file__).resolve().parents[1]
    key = hashlib.sha256()
    for part in (str(_FORMAT).encode(), _library().encode(), sentences):
        key.update(part + b"\0")
    key.update(json.dumps(sorted(set(concepts))).encode("utf-8") + b"\0")
    for path in sorted([*package.glob("core/*.py"), *package.glob("ingest/*.py")]):
        key.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return key.hexdigest()[:32]


def kept_for_file(root: Path, key: str) -> LearnedModel | None:
    """The model `learned_model` made from the file of `key` (`file_key`), if kept."""
    try:
        name = _pointer(root, key).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if re.fullmatch(r"[0-9a-f]{32}", name) is None:  # damaged: the file is read again
        return None
    return LearnedModel.load(cache_dir(root, "tagger") / name)


def _pointer(root: Path, key: str) -> Path:
    return cache_dir(root, "tagger") / f"file-{key}.txt"


@contextlib.contextmanager
def _only_one(lock: Path):
    """Hold an exclusive lock on `lock` (POSIX); where it cannot be taken, go on without."""
    try:
        import fcntl

        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock, "a+b")  # noqa: SIM115 - closed below, after the lock
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()
