"""The web channel's pages: the widget script, a demo host page, a full-page chat, and each
document as HTML so a citation link opens at its clause."""
from __future__ import annotations

import csv
import html
import io
from functools import lru_cache
from importlib import resources
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from assistant.currency import notice_line, vietnamese_date
from assistant.index import Document

router = APIRouter(include_in_schema=False)

# Our own pages load only our own script; the widget's styles live in its shadow root.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors *; base-uri 'none'; form-action 'self'")


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    return resources.files("assistant.web").joinpath(name).read_text(encoding="utf-8")


def page(body: str) -> HTMLResponse:
    return HTMLResponse(body, headers={"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff",
                                       "Referrer-Policy": "strict-origin-when-cross-origin"})


@router.get("/widget.js")
def widget() -> Response:
    return Response(asset("widget.js"), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff",
                             "Cross-Origin-Resource-Policy": "cross-origin"})


@router.get("/demo.js")
def demo_script() -> Response:
    return Response(asset("demo.js"), media_type="text/javascript; charset=utf-8",
                    headers={"X-Content-Type-Options": "nosniff"})


@router.get("/")
def demo() -> HTMLResponse:
    return page(asset("demo.html"))


@router.get("/chat")
def chat_page(lang: Literal["vi", "en"] = Query("vi")) -> HTMLResponse:
    return page(asset("chat.html").replace("{lang}", lang))


def document_page(doc: Document) -> HTMLResponse:
    """The document's structure as HTML; every unit that has an anchor carries it as its id, so
    /api/documents/{doc_id}#dieu-42-khoan-2 opens at khoản 2 Điều 42. Text is escaped."""
    seen: set[str] = set()
    out: list[str] = []

    def walk(nodes: list[dict], depth: int) -> None:
        for node in nodes:
            anchor = node.get("anchor") or ""
            ident = ""
            if anchor and anchor not in seen:
                seen.add(anchor)
                ident = f' id="{html.escape(anchor)}"'
            kind = html.escape(node.get("kind", "para"))
            tag = "h2" if kind in ("chapter", "roman") else "h3" if kind in ("article", "section") else "p"
            out.append(f'<{tag} class="{kind}"{ident} style="margin-left:{min(depth, 4) * 1.2}em">'
                       f'{html.escape(node.get("text", ""))}</{tag}>')
            walk(node.get("children") or [], depth + 1)

    walk(doc.structure, 0)
    meta = " · ".join(html.escape(str(v)) for v in (
        doc.number, doc.issuer, doc.issued and f"ban hành ngày {vietnamese_date(doc.issued)}",
        doc.effective and f"có hiệu lực từ {vietnamese_date(doc.effective)}") if v)
    status = ' <strong class="superseded">(văn bản đã hết hiệu lực)</strong>' if doc.status == "superseded" else ""
    changes = [f"Được sửa đổi bởi {a.get('short') or a['number']} từ {vietnamese_date(a['effective'])}"
               for a in doc.amended_by] + [notice_line(n) for n in doc.notices]
    status += "".join(f'<p class="changed">{html.escape(c)}</p>' for c in changes)
    return page(f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(doc.short)}</title>
<style>body{{font:16px/1.6 system-ui,sans-serif;max-width:820px;margin:0 auto;padding:16px;color:#1a1a1a}}
h1{{font-size:22px}}h2{{font-size:18px;margin-top:1.6em}}h3{{font-size:16px;margin-top:1.2em}}
p{{margin:.35em 0;white-space:pre-wrap}}:target{{background:#fff3bf;outline:2px solid #e0a800;scroll-margin-top:40px}}
.meta{{color:#4a4f57}}.superseded{{color:#a4000f}}
.changed{{padding:6px 10px;border-left:3px solid #b35c00;background:#fff4e5;color:#4d2800}}</style></head>
<body><h1>{html.escape(doc.title)}</h1><p class="meta">{meta}{status}</p>
{''.join(out)}
</body></html>""")


@router.get("/targets.js")
def targets_script() -> Response:
    return Response(asset("targets.js"), media_type="text/javascript; charset=utf-8",
                    headers={"X-Content-Type-Options": "nosniff"})


def _amount(t: dict) -> str:
    if t["value"] is None:
        return ""
    unit = t["unit"] if t["unit"] == "%" else f" {t['unit']}"
    return f"{t['qualifier'] + ' ' if t['qualifier'] else ''}{t['value_text']}{unit}"


_CSV_COLUMNS = ("doc_id", "document", "year", "indicator", "qualifier", "value", "value_text", "unit", "text", "label", "link")


def targets_csv(rows: list[dict], documents: dict[str, Document]) -> PlainTextResponse:
    """The targets as CSV, UTF-8 with a byte-order mark so spreadsheet programs read the accents."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_CSV_COLUMNS)
    for t in rows:
        doc = documents.get(t["doc_id"])
        value = "" if t["value"] is None else (int(t["value"]) if t["value"] == int(t["value"]) else t["value"])
        writer.writerow([t["doc_id"], doc.short if doc else t["doc_id"], t["year"] or "", t["indicator"], t["qualifier"],
                         value, t["value_text"], t["unit"], t["text"], t["label"],
                         f"/api/documents/{t['doc_id']}#{t['anchor']}"])
    return PlainTextResponse("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="chi-tieu.csv"'})


def targets_page(rows: list[dict], documents: dict[str, Document], query: str) -> HTMLResponse:
    """Every target as a table per milestone year, each row linked to where it is written."""
    years = sorted({t["year"] for t in rows}, key=lambda y: (y is None, y or 0))
    sections = []
    for year in years:
        body = []
        for t in (t for t in rows if t["year"] == year):
            doc = documents.get(t["doc_id"])
            href = html.escape(f"/api/documents/{t['doc_id']}#{t['anchor']}")
            sort_value = "" if t["value"] is None else t["value"]
            body.append(f'<tr><td title="{html.escape(t["text"])}">{html.escape(t["indicator"])}</td>'
                        f'<td data-sort="{sort_value}">{html.escape(_amount(t)) or "<em>định tính</em>"}</td>'
                        f'<td>{html.escape(doc.short if doc else t["doc_id"])}</td>'
                        f'<td><a href="{href}">{html.escape(t["label"])}</a></td></tr>')
        title = f"Đến năm {year}" if year else "Không nêu mốc năm"
        sections.append(f'<section><h2>{title}</h2><table class="targets"><thead><tr>'
                        '<th><button type="button">Chỉ tiêu</button></th><th><button type="button">Mức</button></th>'
                        '<th><button type="button">Văn bản</button></th><th><button type="button">Nguồn</button></th>'
                        f'</tr></thead><tbody>{"".join(body)}</tbody></table></section>')
    empty = "" if rows else "<p>Không có chỉ tiêu nào trong các văn bản đang có.</p>"
    csv_href = html.escape("/api/targets.csv" + (f"?{query}" if query else ""))
    return page(f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mục tiêu, chỉ tiêu</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:0 auto;padding:16px;color:#1a1a1a}}
h1{{font-size:22px}}h2{{font-size:18px;margin-top:1.4em}}table{{border-collapse:collapse;width:100%}}
th,td{{border:1px solid #c9ced6;padding:6px 8px;text-align:left;vertical-align:top}}
th{{background:#eef2f7}}th button{{all:unset;cursor:pointer;font-weight:600}}th button::after{{content:" ↕";color:#6b7280}}
td:nth-child(2){{white-space:nowrap}}a{{color:#0a4a8a}}.tools{{margin:8px 0}}
@media print{{.tools{{display:none}}th button::after{{content:""}}a{{color:inherit;text-decoration:none}}
a::after{{content:" (" attr(href) ")";font-size:11px;color:#4a4f57}}body{{max-width:none;padding:0}}}}</style>
<script src="/targets.js" defer></script></head>
<body><h1>Mục tiêu, chỉ tiêu trong các văn bản</h1>
<p class="tools"><a href="{csv_href}" download>Tải về CSV</a> · bấm tiêu đề cột để sắp xếp</p>
{empty}{''.join(sections)}
</body></html>""")


def responsibilities_page(rows: list[dict], agency: str) -> HTMLResponse:
    """Assignments grouped by document, filtered by a body typed any way ("UBND tỉnh")."""
    by_doc: dict[str, list[dict]] = {}
    for r in rows:
        by_doc.setdefault(r["document"], []).append(r)
    sections = []
    for name, items in by_doc.items():
        body = []
        for r in items:
            href = html.escape(f"/api/documents/{r['doc_id']}#{r['anchor']}")
            notes = "".join(f'<p class="changed">Lưu ý: {html.escape(n)}</p>' for n in r["notices"])
            body.append(f'<tr><td>{html.escape(r["agency"])}</td><td>{html.escape(r["role"])}</td>'
                        f'<td>{html.escape(r["task"])}{notes}</td><td>{html.escape(r["deadline"])}</td>'
                        f'<td><a href="{href}">{html.escape(r["label"])}</a></td></tr>')
        sections.append(f'<section><h2>{html.escape(name)}</h2><table><thead><tr><th>Cơ quan</th><th>Vai trò</th>'
                        f'<th>Nhiệm vụ</th><th>Thời hạn</th><th>Nguồn</th></tr></thead><tbody>{"".join(body)}</tbody></table></section>')
    empty = "" if rows else "<p>Không tìm thấy nhiệm vụ nào giao cho cơ quan này trong các văn bản đang có.</p>"
    return page(f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cơ quan nào làm gì</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:16px;color:#1a1a1a}}
h1{{font-size:22px}}h2{{font-size:18px;margin-top:1.4em}}table{{border-collapse:collapse;width:100%}}
th,td{{border:1px solid #c9ced6;padding:6px 8px;text-align:left;vertical-align:top}}th{{background:#eef2f7}}
.changed{{margin:4px 0 0;padding:4px 8px;border-left:3px solid #b35c00;background:#fff4e5;color:#4d2800;font-size:13.5px}}
a{{color:#0a4a8a}}form{{margin:8px 0}}input{{font:inherit;padding:4px 8px;width:min(420px,70vw)}}
@media print{{form{{display:none}}a{{color:inherit;text-decoration:none}}body{{max-width:none;padding:0}}}}</style></head>
<body><h1>Cơ quan nào làm gì</h1>
<form method="get" action="/responsibilities"><label>Cơ quan: <input name="agency" value="{html.escape(agency)}"
 placeholder="UBND tỉnh, Mặt trận, cơ quan đăng ký kinh doanh…"></label> <button type="submit">Lọc</button></form>
<p>{len(rows)} nhiệm vụ{f' của «{html.escape(agency)}»' if agency else ''}.</p>
{empty}{''.join(sections)}
</body></html>""")
