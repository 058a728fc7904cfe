"""Request and response bodies. Validation messages are written for the person who sent the
request: they say which field and what is allowed."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

MAX_MESSAGE = 1000
SESSION_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
DOC_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"


def _clean_text(v: str, field: str, limit: int) -> str:
    v = v.strip()
    if not v:
        raise ValueError(f"{field} must not be empty / không được để trống")
    if len(v) > limit:
        raise ValueError(f"{field} is too long: {len(v)} characters, at most {limit} / quá dài (tối đa {limit} ký tự)")
    if "\x00" in v:
        raise ValueError(f"{field} contains a NUL character")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{field} is not valid Unicode text (unpaired surrogate)") from None
    return v


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message: StrictStr
    session_id: StrictStr | None = Field(None, pattern=SESSION_PATTERN)

    @field_validator("message")
    @classmethod
    def _message(cls, v: str) -> str:
        return _clean_text(v, "message", MAX_MESSAGE)


class CitationOut(BaseModel):
    n: int
    doc_id: str
    document: str
    label: str
    quote: str
    score: float
    anchor: str = ""
    issued: str | None = None      # the document's issue and effective dates, YYYY-MM-DD
    effective: str | None = None


class NoticeOut(BaseModel):
    """A change that concerns what citation `n` quotes (an amendment, a reorganisation)."""
    n: int
    doc_id: str
    label: str
    effective: str
    source: str
    text: str


class RelatedOut(BaseModel):
    """A provision worth reading that the answer does not quote (title and link, no text)."""
    doc_id: str
    document: str
    label: str
    title: str
    anchor: str = ""
    short_title: str = ""  # the title cut for a list a reader scans (about 72 characters, "…" where cut)


class ChatResponse(BaseModel):
    answer: str
    found: bool
    session_id: str
    message_id: str
    citations: list[CitationOut]
    mode: Literal["extractive", "llm", "extractive-fallback"] = "extractive"
    notices: list[NoticeOut] = []
    related: list[RelatedOut] = []
    lead: str = Field("", description="the answer in a few lines, from the first cited provision, ending in its "
                                      "[n] (a who-question's may end with the clause naming the office, cited); "
                                      "empty when there is none (a refusal, a greeting)")


class TargetOut(BaseModel):
    """One target a program states: a quantity with its unit and milestone year, or, with
    `value` null, a qualitative target; `label`/`anchor` cite where it is written."""
    doc_id: str
    year: int | None
    indicator: str
    value: float | None
    value_text: str
    unit: str
    qualifier: str
    text: str
    label: str
    anchor: str


class TargetList(BaseModel):
    targets: list[TargetOut]


class ResponsibilityOut(BaseModel):
    """One body's assignment: who (as written, and the lookup key), in what role, what, by when,
    and where it is written; `notices` say when the body has since been renamed or abolished."""
    agency: str
    agency_key: str
    role: str
    task: str
    deadline: str
    text: str
    doc_id: str
    document: str
    label: str
    anchor: str
    notices: list[str] = []


class ResponsibilityList(BaseModel):
    responsibilities: list[ResponsibilityOut]


class SearchResultOut(BaseModel):
    doc_id: str
    document: str
    label: str
    text: str
    score: float
    anchor: str = ""


class SearchResponse(BaseModel):
    results: list[SearchResultOut]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message_id: StrictStr = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    rating: Literal[1, -1]
    comment: StrictStr | None = Field(None, max_length=2000)

    @field_validator("comment")
    @classmethod
    def _comment(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else _clean_text(v, "comment", 2000)

    @field_validator("rating", mode="before")
    @classmethod
    def _strict_rating(cls, v):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError("rating must be 1 or -1")
        return v


class FeedbackResponse(BaseModel):
    status: Literal["ok"] = "ok"
    id: StrictInt


class DocumentSummary(BaseModel):
    id: str
    title: str
    short: str
    number: str | None
    issuer: str | None
    issued: str | None
    effective: str | None
    status: str
    source: str | None
    chunks: int
    supersedes: list[str] = []
    notices: list[dict] = []      # {effective, source, text, provisions, terms, document}: changes since
    amended_by: list[dict] = []   # {number, short, date, effective, id, provisions, terms}
    review_by: str | None = None


class DocumentList(BaseModel):
    documents: list[DocumentSummary]


class DocumentDetail(DocumentSummary):
    structure: list[dict]


class ErrorResponse(BaseModel):
    error: str
    detail: str
