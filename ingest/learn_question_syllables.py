"""Learn how people's questions run, syllable by syllable, for putting diacritics back on a
question typed without them.

    python -m ingest.learn_question_syllables --archive PATH/legal-qa-vi.tar.xz

The restorer (assistant/diacritics.py) decodes with syllable pairs counted from the indexed
documents, and legal text seldom says what people say: it read "mat bao lau" as "mặt bao lâu",
"tinh" as "tình", "trong lua" as "trong lựa". The archive's bold questions (people's questions,
all areas of law; articles of the calibration half only, see ingest/legal_qa_archive.py) are
counted the same way; the restorer adds these counts to the documents' at query time.

Written to assistant/resources/question_syllables.json (committed; counts only, no sentence of
the archive). The command then prints, on the project's own questions written with diacritics
(which the archive never saw), how many syllables come back right after folding, without and
with the counts, at each weight: calibrated on the grown set's files, reported on the others.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from assistant.diacritics import QUESTIONS_RESOURCE, Restorer
from assistant.text import TOKEN_RE, fold, has_diacritics, normalize

ROOT = Path(__file__).resolve().parent.parent
ACCENTED_SHARE = 0.4  # a question with fewer syllables carrying diacritics was typed without them
MIN_COUNT = 2  # a syllable or pair seen once is as likely a typo as a habit (and doubles the file)
CALIBRATION = ("questions.dev", "questions.extra", "questions.more")  # the grown set: weight chosen here
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5)


def count(questions: list[str]) -> dict:
    uni: Counter[str] = Counter()
    bi: Counter[str] = Counter()
    for q in questions:
        sylls = [t.lower() for t in TOKEN_RE.findall(normalize(q)) if t.isalpha()]
        if sum(map(has_diacritics, sylls)) < ACCENTED_SHARE * len(sylls):
            continue  # typed without diacritics: its bare "tinh" would become a reading of "tinh"
        uni.update(sylls)
        bi.update(f"{a} {b}" for a, b in zip(sylls, sylls[1:]))
    return {"unigrams": {k: v for k, v in sorted(uni.items()) if v >= MIN_COUNT},
            "bigrams": {k: v for k, v in sorted(bi.items()) if v >= MIN_COUNT}}


def accuracy(documents: dict, questions: dict | None, weight: float, files: list[Path]) -> tuple[int, int, int, int]:
    """(syllables right, syllables that could be wrong, questions all right, questions) of
    restoring the files' accented questions after folding them."""
    restorer = Restorer(documents, questions, weight)
    right = total = whole = n = 0
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)["q"] if line.strip() else ""
            if not has_diacritics(q):
                continue
            gold = [t.lower() for t in TOKEN_RE.findall(normalize(q)) if t.isalpha()]
            out = [t.lower() for t in TOKEN_RE.findall(restorer.restore(fold(q))) if t.isalpha()]
            if len(gold) != len(out):
                continue
            n += 1
            ambiguous = [(g, o) for g, o in zip(gold, out) if len(restorer.candidates.get(fold(g), [])) > 1]
            right += sum(g == o for g, o in ambiguous)
            total += len(ambiguous)
            whole += all(g == o for g, o in zip(gold, out))
    return right, total, whole, n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True, help="legal-qa-vi.tar.xz or its extracted folder")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data", help="an index whose syllables.json to compare with")
    parser.add_argument("--out", type=Path, default=QUESTIONS_RESOURCE)
    args = parser.parse_args(argv)
    from ingest.legal_qa_archive import part_of, read_questions
    questions = [q.text for q in read_questions(args.archive) if part_of(q.article) == "calibration"]
    model = count(questions) | {"about": f"syllables and syllable pairs of {len(questions)} people's questions "
                                          "(legal Q&A archive, calibration half), counted at least twice"}
    args.out.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"counted {len(questions)} questions: {len(model['unigrams'])} syllables, {len(model['bigrams'])} pairs; "
          f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")
    build = (args.data_dir / "CURRENT").read_text().strip() if (args.data_dir / "CURRENT").exists() else ""
    syllables = args.data_dir / "indexes" / build / "syllables.json"
    if not build or not syllables.exists():
        print(f"no index in {args.data_dir}: accuracy not measured", file=sys.stderr)
        return 0
    documents = json.loads(syllables.read_text(encoding="utf-8"))
    data = ROOT / "tests" / "data"
    calibration = [data / f"{f}.jsonl" for f in CALIBRATION]
    report = [f for f in sorted(data.glob("questions.*.jsonl")) if f.stem not in CALIBRATION]
    print("ambiguous syllables restored right (questions wholly right), by weight of the question counts:")
    for weight in WEIGHTS:
        row = []
        for name, files in (("calibration", calibration), ("report", report)):
            right, total, whole, n = accuracy(documents, model, weight, files)
            row.append(f"{name} {right / max(1, total):.3f} ({whole}/{n})")
        print(f"  {weight:<4}  " + "   ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
