"""The web channel's pages: the widget script, a demo host page, a full-page chat, and each
document as HTML so a citation link opens at its clause."""
from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

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
