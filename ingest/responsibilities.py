"""Who must do what: one row per body a unit assigns work to.

A unit (clause, item, bullet, paragraph) whose sentence opens with the bodies it assigns
("Ủy ban nhân dân các cấp thực hiện …", "Ban cán sự đảng Ủy ban nhân dân tỉnh chủ trì, phối hợp
với các ban Tỉnh ủy …", "Bộ, cơ quan ngang bộ, trong phạm vi nhiệm vụ …") gives a row for each
body in its subject (role "chủ trì" when the verb is chủ trì, else "thực hiện") and one for each
body after "phối hợp với" (role "phối hợp"), with the task as written and a deadline when the
unit states one. Read from the structure at ingest, in every document: programs assign work in
their "Tổ chức thực hiện" and task sections, laws and decrees in articles whose subject is a body.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from assistant.agencies import is_body, key
from assistant.text import fold

_NOUN_AFTER_TO_CHUC = r"(?!\s+(?:chính trị|đại diện|thành viên|xã hội|khác|kinh tế|tín dụng|tài chính|hội|đoàn thể|liên quan))"
# where a body's name ends and what it must do begins
_CUE = re.compile(
    r"(?<!các)(?<!mọi)\s+(?P<verb>có (?:các |những )?(?:trách nhiệm|nhiệm vụ)|chịu trách nhiệm|chủ trì|phối hợp|thực hiện|thống nhất"
    r"|là cơ quan|lãnh đạo|chỉ đạo|tăng cường|tổ chức" + _NOUN_AFTER_TO_CHUC + r"|hướng dẫn|ban hành|quy định|xây dựng"
    r"|theo dõi|kiểm tra|quyết định|cấp(?!\s+(?:tỉnh|huyện|xã|trung ương|cơ sở|bộ))|tiếp nhận|giải quyết|gửi"
    r"|thông báo|công bố|cập nhật|rà soát|nhập|xem xét|ra|hỗ trợ|bố trí|đề xuất|triển khai|tuyên truyền|nghiên cứu"
    r"|đôn đốc|giám sát|báo cáo|trình|phê duyệt|chủ động|tiếp tục|đẩy mạnh|cử|phải|có nghĩa vụ|từ chối|chấp thuận"
    r"|tư vấn|cung cấp|thu hồi|lưu giữ|yêu cầu|xác nhận|trả lời|hủy"
    # not duties: where a subject ends in a sentence that assigns nothing
    r"|có quyền|có thể|không|được|có(?!\s+liên quan)|gồm|bao gồm|là|bầu|nhận được|hoạt động)\b"
    r"|(?P<scope>,?\s*(?:trong phạm vi|theo chức năng|theo thẩm quyền|căn cứ))", re.I)
_NOT_DUTIES = {"có quyền", "có thể", "không", "được", "có", "gồm", "bao gồm", "là", "bầu", "nhận được", "hoạt động"}
_PARTNERS = re.compile(r"phối hợp với\s+(.+?)(?=\s+(?:trong việc|để|nhằm|tổ chức" + _NOUN_AFTER_TO_CHUC +
                       r"|thường xuyên|thực hiện|triển khai|tuyên truyền|xây dựng|theo dõi|kiểm tra|hướng dẫn"
                       r"|giải quyết|rà soát|trong quá trình)\b|[;.:]|$)", re.I)
_DEADLINE = re.compile(r"\b(trong thời hạn [^,;.]+|trước ngày \d{1,2}/\d{1,2}(?:/\d{4})?|chậm nhất [^,;.]+"
                       r"|hằng năm|hàng năm|định kỳ(?: [^,;.]{0,40})?|trong (?:quý [IVX]+|năm 20\d\d)[^,;.]*)", re.I)
_DUTIES_OF = re.compile(r"^Điều\s+\d+\w*\.\s*(?:Nhiệm vụ|Trách nhiệm|Quyền hạn)[^.]*?\bcủa\s+(.+?)\s*$", re.I)
_EVERYONE = re.compile(r"(?:các\s+)?cơ quan,\s*tổ chức\b", re.I)
_DIRECTED = re.compile(r"\bchỉ đạo\s+", re.I)
_MARKER = re.compile(r"^\s*(?:[-–•+*]|[a-zđ]\)|\d+(?:\.\d+)*[.)])\s*")
MAX_SUBJECT = 160  # a subject longer than this is a sentence that merely starts with a body's name
UNIT_KINDS = ("clause", "item", "bullet", "point", "para", "letter", "plus", "row")


@dataclass
class Responsibility:
    doc_id: str
    agency: str        # as written
    agency_key: str    # for lookup (assistant.agencies.key)
    role: str          # chủ trì | phối hợp | thực hiện
    task: str
    deadline: str
    text: str          # the unit as written
    label: str
    anchor: str

    def to_dict(self) -> dict:
        return asdict(self)


def _bodies(phrase: str, *, must_be_body: bool) -> list[str]:
    """The bodies a list names: "Mặt trận và các tổ chức chính trị - xã hội cấp tỉnh" → two."""
    out: list[str] = []
    for part in re.split(r",\s*", phrase):
        pieces = [part]
        while True:  # "A và B" is two bodies only when B is one ("Bộ Kế hoạch và Đầu tư" is one)
            last = pieces[-1]
            m = next((m for m in re.finditer(r"\s+và\s+", last)
                      if is_body(last[m.end():]) or (not must_be_body and last[m.end():].lower().startswith("các "))), None)
            if m is None:
                break
            pieces[-1:] = [last[:m.start()], last[m.end():]]
        for piece in pieces:
            piece = piece.strip(" ,;")
            if piece and (is_body(piece) or not must_be_body):
                out.append(piece)
    return out


def responsibilities(text: str) -> list[tuple[str, str, str, str]]:
    """(body, role, task, deadline) for each body a unit's sentence assigns work to."""
    body = _MARKER.sub("", text).strip()
    if _EVERYONE.match(body):
        return []  # "Cơ quan, tổ chức, cá nhân có liên quan …": whom the act applies to, not an assignment
    cue = _CUE.search(body)
    if cue is None or cue.start() > MAX_SUBJECT:
        return []
    if cue.group("verb") and cue.group("verb").lower() in _NOT_DUTIES:
        return []
    subject = body[:cue.start()]
    bodies = _bodies(subject, must_be_body=True)
    if not bodies or not is_body(re.split(r",|\s+và\s+", subject)[0]):
        return []
    if any(key(p) in ("to chuc", "ca nhan") or key(p).startswith("ca nhan ") for p in re.split(r",|\s+và\s+", subject)):
        return []  # "cơ quan, tổ chức, cá nhân có liên quan": everyone the act applies to, not an assignment
    task = body[cue.start():].strip(" ,")
    deadline = _DEADLINE.search(task)
    when = deadline.group(1).strip() if deadline else ""
    role = "chủ trì" if task.lower().startswith("chủ trì") else "thực hiện"
    rows = [(b, role, task, when) for b in bodies]
    partners = _PARTNERS.search(task)
    if partners:
        rows += [(b, "phối hợp", task, when) for b in _bodies(partners.group(1), must_be_body=False)]
    for directed in _DIRECTED.finditer(task):  # "lãnh đạo, chỉ đạo Ủy ban nhân dân tỉnh xây dựng …": its task too
        after = task[directed.end():]
        verb = _CUE.search(after)
        if verb and verb.group("verb") and verb.group("verb").lower() not in _NOT_DUTIES:
            rows += [(b, "thực hiện", after[verb.start():].strip(), when) for b in _bodies(after[:verb.start()], must_be_body=True)]
    return rows


# the columns of an assignment table ("PHỤ LỤC … PHÂN CÔNG NHIỆM VỤ"), by their folded header
_COLUMNS = (("chu tri", "chủ trì"), ("phoi hop", "phối hợp"), ("thuc hien", "thực hiện"), ("co quan", "thực hiện"),
            ("don vi", "thực hiện"))
_TASK_COLUMNS = ("nhiem vu", "noi dung", "cong viec", "hoat dong")
_DEADLINE_COLUMNS = ("thoi han", "thoi gian", "tien do", "han")


def table_row(text: str) -> list[tuple[str, str, str, str]]:
    """(body, role, task, deadline) from a row read as "Nhiệm vụ: …; Cơ quan chủ trì: …; …"."""
    cells = {}
    for pair in re.split(r";\s+(?=[^:;]{1,40}:\s)", text):
        head, _, value = pair.partition(": ")
        if value:
            cells[fold(head).strip()] = value.strip()
    task = next((v for h, v in cells.items() if any(h.startswith(t) or h.endswith(t) for t in _TASK_COLUMNS)), "")
    when = next((v for h, v in cells.items() if any(h.startswith(t) for t in _DEADLINE_COLUMNS)), "")
    rows = []
    for head, value in cells.items():
        role = next((r for col, r in _COLUMNS if col in head), None)
        if role is None or any(head.startswith(t) for t in _TASK_COLUMNS + _DEADLINE_COLUMNS):
            continue
        rows += [(b, role, task, when) for b in _bodies(value, must_be_body=False)]
    return rows if task else []


def _walk(node, attr):
    yield node
    for child in attr(node, "children") or []:
        yield from _walk(child, attr)


def extract(doc_id: str, nodes: list) -> list[Responsibility]:
    """Every assignment in a document's structure (Node objects or stored dicts), in order."""
    rows: list[Responsibility] = []

    def attr(node, name):
        return node.get(name, "") if isinstance(node, dict) else getattr(node, name, "")

    def walk(items: list, owner: str = "") -> None:
        for node in items:
            text = attr(node, "text") or ""
            if attr(node, "kind") == "article":  # "Điều 7. Nhiệm vụ, quyền hạn của cơ quan đăng ký kinh doanh cấp huyện"
                m = _DUTIES_OF.search(text)
                walk(attr(node, "children") or [], m.group(1).strip() if m and is_body(m.group(1)) else "")
                continue
            if attr(node, "kind") in UNIT_KINDS and text.strip():
                seen: set[tuple[str, str]] = set()
                whole = text.strip()
                if whole.endswith(":"):  # "… có nhiệm vụ sau đây:": the duties are the items under it
                    whole = "\n".join([whole] + [attr(n, "text").strip() for c in attr(node, "children") or []
                                                  for n in _walk(c, attr) if attr(n, "text")])
                found = table_row(whole) if attr(node, "kind") == "row" else responsibilities(whole)
                if not found and owner and attr(node, "kind") == "clause":
                    # a clause of an article about one body's duties is that body's duty
                    task = _MARKER.sub("", whole).strip()
                    deadline = _DEADLINE.search(task)
                    found = [(owner, "thực hiện", task, deadline.group(1).strip() if deadline else "")]
                for agency, role, task, deadline in found:
                    k = key(agency)
                    if (k, role) in seen:
                        continue
                    seen.add((k, role))
                    rows.append(Responsibility(doc_id, agency, k, role, task, deadline, whole,
                                               attr(node, "label"), attr(node, "anchor")))
                if whole != text.strip():
                    continue  # its items are in the row already
            walk(attr(node, "children") or [], owner)

    walk(nodes)
    return rows
