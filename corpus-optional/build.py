#!/usr/bin/env python3
"""Build the optional corpus: one Markdown file per codified document of the Pháp điển page
(đề mục 12.4 "Hợp tác xã"), except the ones already in the default corpus.

    python corpus-optional/build.py

Reads only corpus-optional/source/phap-dien-12-4-hop-tac-xa.md and (re)writes, next to this
script, one <document>.md per source document and manifest.yaml. Standard library + PyYAML.

What it does to the page:
- keeps the body between '## VĂN BẢN' and '## Danh sách điều khoản' (the latter, the đề mục's
  table of contents, is only used to check that no article was lost);
- puts article and chapter headings that the page glued to the end of the previous paragraph
  on their own line ('... cụ thể.Điều 12.4.TT.1.13. Quản lý nợ phải thu', '... xếp loại.Chương II');
- drops the Pháp điển's own chapter headings ('Chương III' + its title, '**Mục 2. ...**'),
  which belong to the đề mục (they follow the Law), not to the codified documents, and the one
  section heading of a codified document the page carries ('**Mục 2: ...**' of Thông tư
  52/2022/TT-BTC, left without its Chương and Mục 1 it would file the following articles
  under a lone section);
- drops attachment names standing alone ('Phu luc kem theo Nghi dinh so 77_2019_ND-CP.doc'):
  the appendix they linked to is not in the page;
- puts a space after a clause number written against its text ('**1.Bàn giao tài sản**');
- per article: drops the source line '(Điều N <document>, có hiệu lực ...)' and the
  cross-reference notes '(Điều này có nội dung liên quan đến ...)'; what the source line says
  beyond the article number (a repeal note, an article taken from another document) goes into
  the front matter instead;
- renumbers 'Điều 12.4.<type>.<doc>.N. Title' as '### Điều N. Title';
- leaves out LQ (Luật 17/2023/QH15) and NĐ.3 (Nghị định 92/2024/NĐ-CP): both are in corpus/.

The Pháp điển number N is kept as the article number. For QĐ.1 it is not the real one:
QĐ.1.2 and QĐ.1.3 are Điều 3 and 4 of Quyết định 23/2017/QĐ-TTg (which amended Quyết định
246/2006/QĐ-TTg); the front matter's 'article_sources' records it.
"""
from __future__ import annotations

import re
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source" / "phap-dien-12-4-hop-tac-xa.md"

REPOSITORY = "diepxuan/diepxuan.github.io"
REPO_PATH = "van-ban/doanh-nghiep-hop-tac-xa/hop-tac-xa.md"
COMMIT = "fbaa690e1c9ff35deabbf5e9a8b8830ce3d54048"

EXCLUDED = {"LQ": "Luật 17/2023/QH15", "NĐ.3": "Nghị định 92/2024/NĐ-CP",  # in corpus/ already
            # its Pháp điển articles mix Quyết định 246/2006 and the amending 23/2017: a copy
            # renumbered as one document would cite two articles under the wrong decision
            "QĐ.1": "Quyết định 246/2006/QĐ-TTg (mixed with 23/2017/QĐ-TTg)"}

# Pháp điển code -> (file stem, kind, number as the page writes it). Titles, issuers and dates
# are read from the page's first source line for the document and checked against this table.
DOCS = {
    "NĐ.1": ("nghi-dinh-77-2019-nd-cp", "Nghị định", "77/2019/NĐ-CP"),
    "NĐ.2": ("nghi-dinh-45-2021-nd-cp", "Nghị định", "45/2021/NĐ-CP"),
    "TT.1": ("thong-tu-83-2015-tt-btc", "Thông tư", "83/2015/TT-BTC"),
    "TT.2": ("thong-tu-09-2017-tt-bnnptnt", "Thông tư", "09/2017/TT-BNNPTNT"),
    "TT.3": ("thong-tu-31-2018-tt-btc", "Thông tư", "31/2018/TT-BTC"),
    "TT.4": ("thong-tu-124-2021-tt-btc", "Thông tư", "124/2021/TT-BTC"),
    "TT.5": ("thong-tu-13-2022-tt-bldtbxh", "Thông tư", "13/2022/TT-BLĐTBXH"),
    "TT.6": ("thong-tu-52-2022-tt-btc", "Thông tư", "52/2022/TT-BTC"),
    "TT.7": ("thong-tu-09-2024-tt-bkhdt", "Thông tư", "09/2024/TT-BKHĐT"),
    "QĐ.1": ("quyet-dinh-246-2006-qd-ttg", "Quyết định", "246/2006/QĐ-TTg"),
}

# Editorial status for manifest.yaml: (status, comment). in_force unless there is a reason.
STATUS = {
    "NĐ.1": ("superseded",
             "tổ hợp tác is now governed by Luật Hợp tác xã 17/2023/QH15 (Chương IX, Điều 107, in force "
             "01/7/2024) and Nghị định 92/2024/NĐ-CP (đăng ký tổ hợp tác); the Pháp điển snapshot still "
             "lists this decree and names no repealing act, so this is an editorial judgement"),
    "NĐ.2": ("partly_superseded",
             "the page itself notes that part of Điều 15 was repealed by Điều 13 Nghị định 104/2022/NĐ-CP "
             "(from 01/01/2023); the Pháp điển text of Điều 15 still shows the repealed wording"),
    "TT.1": ("in_force", "issued under the former Luật Hợp tác xã 23/2012/QH13; no repeal stated in the source"),
    "TT.2": ("in_force", None),
    "TT.3": ("in_force", None),
    "TT.4": ("in_force", "for the 2021-2025 programme (Quyết định 1804/QĐ-TTg)"),
    "TT.5": ("in_force", None),
    "TT.6": ("in_force", None),
    "TT.7": ("in_force", None),
    "QĐ.1": ("in_force",
             "Điều 2 and Điều 3 of this file are Điều 3 and Điều 4 of Quyết định 23/2017/QĐ-TTg, which amended it"),
}

CODE = r"(LQ|(?:NĐ|TT|QĐ)\.\d+)"
ARTICLE = re.compile(r"^Điều 12\.4\." + CODE + r"\.(\d+)\.[ \t]*(.*?)\s*$")
GLUED = re.compile(r"(?<=[.:])[ \t]?(?=Điều 12\.4\." + CODE + r"\.\d+\.|Chương [IVXLC]+\s*$)")
CROSS_REF = re.compile(r"^\(Điều này có nội dung liên quan đến .*\)$")
SOURCE_LINE = re.compile(r"^\(Điều (\d+) (Luật|Nghị định|Thông tư|Quyết định) số (\S+?),? (.*)\)$")
FULL_SOURCE = re.compile(r"^(.*) ngày (\d\d)/(\d\d)/(\d{4}) của (.+?), có hiệu lực thi hành kể từ ngày "
                         r"(\d\d)/(\d\d)/(\d{4})\s*$")
EFFECTIVE_ONLY = re.compile(r"^có hiệu lực thi hành kể từ ngày \d\d/\d\d/\d{4}\s*$")
CHAPTER = re.compile(r"^Chương [IVXLC]+$")
ATTACHMENT = re.compile(r"^Phu luc .*\.(?:docx?|pdf|xlsx?)$", re.I)  # a link to a file not in the page
SECTION = re.compile(r"^\*\*Mục \d+\s*[.:].*\*\*$")
# "**1.Bàn giao tài sản**": a clause number with no space before its text
NO_SPACE = re.compile(r"^((?:\*\*)?\d{1,3}\.)(?=[^\W\d_])")


class BuildError(Exception):
    pass


def read_page(path: Path) -> tuple[str, str]:
    raw = path.read_text(encoding="utf-8")
    start, end = raw.find("\n## VĂN BẢN\n"), raw.find("\n## Danh sách điều khoản\n")
    if start < 0 or end < 0 or end < start:
        raise BuildError("cannot find the '## VĂN BẢN' and '## Danh sách điều khoản' parts")
    return raw[start:end], raw[end:]


def toc_articles(toc: str) -> set[tuple[str, int]]:
    return {(m.group(1), int(m.group(2)))
            for m in (ARTICLE.match(ln.strip()) for ln in toc.splitlines()) if m}


def unglue(body: str) -> tuple[str, int]:
    out, fixed = [], 0
    for line in body.split("\n"):
        if not CROSS_REF.match(line.strip()):
            line, n = GLUED.subn("\n\n", line)
            fixed += n
        out.append(line)
    return "\n".join(out), fixed


def paragraphs(body: str) -> list[str]:
    paras = []
    for para in re.split(r"\n\s*\n", body):
        lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
        if lines:
            paras.append("\n".join(lines))
    return paras


def split_articles(paras: list[str]) -> tuple[list[dict], list[str]]:
    """Articles in page order; Pháp điển chapter/section headings are dropped."""
    articles: list[dict] = []
    dropped: list[str] = []
    skip_title = False
    for p in paras:
        if CHAPTER.match(p):
            dropped.append(p)
            skip_title = True
            continue
        if skip_title:
            skip_title = False
            letters = [c for c in p if c.isalpha()]
            if letters and all(c.isupper() for c in letters):
                dropped.append(p)
                continue
        if SECTION.match(p):
            dropped.append(p)
            continue
        m = ARTICLE.match(p)
        if m:
            articles.append({"code": m.group(1), "n": int(m.group(2)), "title": m.group(3), "paras": []})
        elif articles:
            articles[-1]["paras"].append(p)
        # anything before the first article ('# Hợp tác xã') is page furniture
    return articles, dropped


def clean_article(a: dict) -> dict:
    kept, source, notes, spaced = [], None, 0, 0
    for p in a["paras"]:
        p, n = NO_SPACE.subn(r"\1 ", p)
        spaced += n
        if source is None and not kept and SOURCE_LINE.match(p):
            source = p
        elif CROSS_REF.match(p):
            notes += 1
        elif ATTACHMENT.match(p):
            a.setdefault("attachments", []).append(p)
        else:
            kept.append(p)
    if source is None:
        raise BuildError(f"Điều 12.4.{a['code']}.{a['n']}: no source line")
    if not kept:
        raise BuildError(f"Điều 12.4.{a['code']}.{a['n']}: no text")
    m = SOURCE_LINE.match(source)
    a.update(paras=kept, source=source, cross_refs=notes, spaced=spaced, src_article=int(m.group(1)),
             src_kind=m.group(2), src_number=m.group(3), src_rest=m.group(4))
    return a


def document_facts(code: str, arts: list[dict]) -> dict:
    """Title, issuer and dates from the first source line that names the document in full."""
    _, kind, number = DOCS[code]
    for a in arts:
        if a["src_number"] != number:
            continue
        m = FULL_SOURCE.match(a["src_rest"])
        if m:
            subject, d, mo, y, issuer, ed, emo, ey = m.groups()
            subject = subject.strip()
            return {"title": f"{kind} {subject[:1].lower()}{subject[1:]}", "issuer": issuer,
                    "date_issued": f"{y}-{mo}-{d}", "effective_date": f"{ey}-{emo}-{ed}",
                    "issued_vn": f"{int(d)}/{int(mo)}/{y}", "effective_vn": f"{int(ed)}/{int(emo)}/{ey}"}
    raise BuildError(f"{code}: no source line names {kind} {number} in full")


def article_notes(code: str, arts: list[dict]) -> tuple[dict, dict]:
    """What a source line says beyond 'Điều N of this document, in force from ...'."""
    _, kind, number = DOCS[code]
    other_sources, amendments = {}, {}
    for a in arts:
        label = f"Điều {a['n']}"
        if a["src_number"].lower() != number.lower() or a["src_article"] != a["n"]:
            other_sources[label] = f"Điều {a['src_article']} {a['src_kind']} {a['src_number']}"
        rest = a["src_rest"]
        if not EFFECTIVE_ONLY.match(rest) and not FULL_SOURCE.match(rest):
            extra = re.sub(r"^có hiệu lực thi hành kể từ ngày \d\d/\d\d/\d{4},\s*", "", rest)
            amendments[label] = extra
    return other_sources, amendments


def ranges(numbers: list[int]) -> str:
    out, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(f"{start}" if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)


def render(code: str, arts: list[dict], facts: dict, other_sources: dict, amendments: dict) -> str:
    stem, kind, number = DOCS[code]
    numbers = [a["n"] for a in arts]
    missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    completeness = (f"{len(arts)} articles as codified in Pháp điển đề mục 12.4 (Điều {ranges(numbers)})"
                    + (f"; Điều {ranges(missing)} not in this đề mục" if missing else "")
                    + "; preamble, chapter headings, signature and appendices are not in the source")
    front = {
        "title": facts["title"],
        "number": number,
        "issuer": facts["issuer"],
        "date_issued": facts["date_issued"],
        "effective_date": facts["effective_date"],
        "source": {
            "repository": REPOSITORY,
            "path": REPO_PATH,
            "commit": COMMIT,
            "upstream": f"Bộ Pháp điển, đề mục 12.4 'Hợp tác xã'; articles 'Điều 12.4.{code}.N' = "
                        f"Điều N {kind} số {number}",
            "extracted_from": "corpus-optional/source/phap-dien-12-4-hop-tac-xa.md (verbatim copy of the "
                              "Pháp điển page) by corpus-optional/build.py",
        },
        "completeness": completeness,
        "notes": ("Extracted from the Pháp điển page, not from the official gazette text: each "
                  f"'Điều 12.4.{code}.N' article taken verbatim, renumbered 'Điều N', put in order; "
                  "Pháp điển cross-reference notes and per-article source lines removed; article "
                  "headings glued to the previous paragraph put on their own line. Optional corpus, "
                  "not part of the default corpus."),
    }
    if amendments:
        front["amendments"] = amendments
    if other_sources:
        front["article_sources"] = other_sources
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=100).strip()
    out = [f"---\n{head}\n---", f"# {facts['title'].upper()}",
           f"Số: {number} — {facts['issuer']} ban hành ngày {facts['issued_vn']}, "
           f"có hiệu lực thi hành từ ngày {facts['effective_vn']}."]
    for a in arts:
        out.append(f"### Điều {a['n']}. {a['title']}".rstrip())
        out.extend(a["paras"])
    return "\n\n".join(out) + "\n"


def manifest_text(entries: list[dict]) -> str:
    lines = [
        "# Optional corpus (not indexed by default): one entry per document in this folder, same",
        "# format as corpus/manifest.yaml. Written by build.py; edit STATUS/DOCS there, not here.",
        "# Every text comes from the Pháp điển page in source/ (provenance in each file's front matter).",
        "# status: in_force | superseded | partly_superseded. A superseded document is indexed but",
        "# never presented as current law.",
        "documents:",
    ]
    q = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
    for e in entries:
        lines.append(f"  - id: {e['id']}")
        lines.append(f"    file: {e['file']}")
        lines.append(f"    title: {q(e['title'])}")
        lines.append(f"    short: {q(e['short'])}")
        lines.append(f"    number: {q(e['number'])}")
        lines.append(f"    issuer: {q(e['issuer'])}")
        lines.append(f"    issued: {e['issued']}")
        lines.append(f"    effective: {e['effective']}")
        if e["comment"]:
            lines.extend("    # " + ln for ln in textwrap.wrap(e["comment"], 92))
        lines.append(f"    status: {e['status']}")
        lines.append(f"    source: {q(e['source'])}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def build() -> dict:
    body, toc = read_page(SOURCE)
    body, glued = unglue(body)
    articles, dropped = split_articles(paragraphs(body))
    articles = [clean_article(a) for a in articles]

    by_code: dict[str, list[dict]] = defaultdict(list)
    seen: dict[tuple[str, int], dict] = {}
    for a in articles:
        key = (a["code"], a["n"])
        if key in seen:
            if seen[key]["paras"] != a["paras"]:
                raise BuildError(f"Điều 12.4.{key[0]}.{key[1]} appears twice with different text")
            continue
        seen[key] = a
        by_code[a["code"]].append(a)

    toc_keys = toc_articles(toc)
    if toc_keys != set(seen):
        raise BuildError(f"body and table of contents differ: only in body {sorted(set(seen) - toc_keys)}, "
                         f"only in contents {sorted(toc_keys - set(seen))}")
    unknown = set(by_code) - set(DOCS) - set(EXCLUDED)
    if unknown:
        raise BuildError(f"unknown document codes {sorted(unknown)}")

    report = {"glued_headings_fixed": glued, "dropped_headings": dropped, "documents": {}}
    entries = []
    for code in DOCS:
        if code in EXCLUDED:
            continue
        arts = sorted(by_code.get(code, []), key=lambda a: a["n"])
        if not arts:
            raise BuildError(f"{code}: no articles")
        stem, kind, number = DOCS[code]
        facts = document_facts(code, arts)
        other_sources, amendments = article_notes(code, arts)
        text = render(code, arts, facts, other_sources, amendments)
        (HERE / f"{stem}.md").write_text(text, encoding="utf-8")
        status, comment = STATUS[code]
        entries.append({
            "id": stem, "file": f"{stem}.md", "title": facts["title"], "short": f"{kind} {number}",
            "number": number, "issuer": facts["issuer"], "issued": facts["date_issued"],
            "effective": facts["effective_date"], "status": status, "comment": comment,
            "source": f"Bộ Pháp điển đề mục 12.4 via {REPOSITORY}@{COMMIT[:8]} ({len(arts)} articles, "
                      f"'Điều 12.4.{code}.N'); optional corpus, see corpus-optional/README.md"})
        report["documents"][f"{stem}.md"] = {
            "code": code, "articles": len(arts), "numbers": ranges([a["n"] for a in arts]),
            "cross_refs_dropped": sum(a["cross_refs"] for a in arts), "chars": len(text),
            "clause_numbers_spaced": sum(a["spaced"] for a in arts),
            "attachment_lines_dropped": sum(len(a.get("attachments", [])) for a in arts),
            "other_sources": other_sources, "amendments": amendments}
    (HERE / "manifest.yaml").write_text(manifest_text(entries), encoding="utf-8")
    report["excluded"] = {EXCLUDED[c]: len(by_code.get(c, [])) for c in EXCLUDED}
    return report


def main() -> int:
    try:
        report = build()
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    for name, d in report["documents"].items():
        extra = "".join(f"\n    {k} <- {v}" for k, v in d["other_sources"].items())
        extra += "".join(f"\n    {k}: {v}" for k, v in d["amendments"].items())
        extra += f"\n    clause numbers given a space: {d['clause_numbers_spaced']}" if d["clause_numbers_spaced"] else ""
        extra += f"\n    attachment names dropped: {d['attachment_lines_dropped']}" if d["attachment_lines_dropped"] else ""
        print(f"{name:36} {d['articles']:3} articles (Điều {d['numbers']}), {d['chars']:7} chars{extra}")
    print(f"left out: {report['excluded']}")
    print(f"articles: {sum(d['articles'] for d in report['documents'].values())}, "
          f"chars: {sum(d['chars'] for d in report['documents'].values())}")
    print(f"glued headings fixed: {report['glued_headings_fixed']}")
    print("headings dropped: " + "; ".join(h.replace("\n", " ")[:70] for h in report["dropped_headings"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
