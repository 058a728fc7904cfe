"""Follow-up questions resolved against the session's earlier turns, without an LLM."""
from __future__ import annotations

import httpx
import pytest

from assistant.conversation import change_of, is_follow_up, rewrite


@pytest.mark.unit
@pytest.mark.parametrize("question, previous, expected", [
    ("Còn liên hiệp hợp tác xã thì sao?", "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?",
     "Cần tối thiểu bao nhiêu thành viên để thành lập liên hiệp hợp tác xã?"),
    ("còn năm 2045 thì sao?", "Đến năm 2030 có bao nhiêu hợp tác xã?", "Đến năm 2045 có bao nhiêu hợp tác xã?"),
    ("con lien hiep hop tac xa thi sao", "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?",
     "Cần tối thiểu bao nhiêu thành viên để thành lập lien hiep hop tac xa?"),
    ("Vậy còn nghĩa vụ?", "Thành viên chính thức có quyền gì?", "Thành viên chính thức có nghĩa vụ gì?"),
    ("Còn Ban kiểm soát thì sao?", "Hội đồng quản trị họp định kỳ bao lâu một lần?",
     "Ban kiểm soát họp định kỳ bao lâu một lần?"),
    ("Còn hợp tác xã thì sao?", "Liên hiệp hợp tác xã cần bao nhiêu thành viên?", "hợp tác xã cần bao nhiêu thành viên?"),
])
def test_rewrite(question, previous, expected):
    assert is_follow_up(question)
    assert rewrite(question, previous) == expected


@pytest.mark.unit
@pytest.mark.parametrize("question", [
    "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?",
    "Hợp tác xã có bao nhiêu thành viên?",
    "Còn bao nhiêu ngày thì hết hạn nộp hồ sơ đăng ký thay đổi tên hợp tác xã theo quy định hiện hành?",
])
def test_standalone_questions_are_not_follow_ups(question):
    assert not is_follow_up(question)


@pytest.mark.unit
def test_change_of_strips_the_frame():
    assert change_of("Thế còn đối với tổ hợp tác thì như thế nào ạ?") == "đối với tổ hợp tác"
    assert change_of("vậy còn năm 2045?") == "năm 2045"


def _ask(client, message, session_id=None):
    r = client.post("/api/chat", json={"message": message, "session_id": session_id})
    assert r.status_code == 200
    return r.json()


@pytest.mark.integration
def test_follow_up_about_the_union_of_cooperatives(client):
    first = _ask(client, "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?")
    assert "05 thành viên" in first["answer"]
    second = _ask(client, "Còn liên hiệp hợp tác xã thì sao?", first["session_id"])
    assert second["found"] and "03 hợp tác xã" in second["answer"]
    assert second["citations"][0]["label"] == "khoản 8 Điều 4"
    assert "liên hiệp hợp tác xã" in second["answer"].split("\n")[0]  # says how it understood the question


@pytest.mark.integration
def test_follow_up_about_2045_targets(client):
    first = _ask(client, "Đến năm 2030 có bao nhiêu hợp tác xã?")
    assert "540 hợp tác xã" in first["answer"]
    second = _ask(client, "còn năm 2045 thì sao?", first["session_id"])
    assert second["found"]
    for fact in ("20% dân số", "90%", "75%"):
        assert fact in second["answer"]
    assert "540 hợp tác xã" not in second["answer"]


@pytest.mark.integration
def test_sessions_are_isolated(client):
    a = _ask(client, "Đến năm 2030 có bao nhiêu hợp tác xã?")
    b = _ask(client, "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?")
    # the same follow-up in each session follows that session's own topic
    in_a = _ask(client, "còn năm 2045 thì sao?", a["session_id"])
    in_b = _ask(client, "Còn liên hiệp hợp tác xã thì sao?", b["session_id"])
    understood_a, understood_b = in_a["answer"].split("\n")[0], in_b["answer"].split("\n")[0]
    assert "2045" in understood_a and "liên hiệp" not in understood_a
    assert "liên hiệp hợp tác xã" in understood_b and "2045" not in understood_b
    assert "20% dân số" in in_a["answer"] and "03 hợp tác xã" in in_b["answer"]
    # a new session has no history: the bare follow-up cannot borrow another session's topic
    fresh = _ask(client, "còn năm 2045 thì sao?")
    assert "Câu hỏi được hiểu là" not in fresh["answer"]


@pytest.mark.integration
def test_expired_history_is_not_used(service):
    import time as _time
    first = service.chat("Đến năm 2030 có bao nhiêu hợp tác xã?")
    turns = service.store.history(first.session_id, max_age_s=3600, limit=6)
    assert turns and turns[0]["resolved"] == "Đến năm 2030 có bao nhiêu hợp tác xã?"
    _time.sleep(0.05)
    assert service.store.history(first.session_id, max_age_s=0.01, limit=6) == []


@pytest.mark.unit
def test_turns_past_the_session_ttl_are_pruned_and_those_with_feedback_kept(tmp_path, monkeypatch):
    from assistant import store as store_module
    from assistant.store import ConversationStore
    now = [1_000_000.0]
    monkeypatch.setattr(store_module.time, "time", lambda: now[0])
    store = ConversationStore(tmp_path / "c.sqlite", keep_s=3600, prune_every_s=0)
    store.add_message("old", "s1", "Hỏi cũ?", "Đáp cũ.", True, [])
    store.add_message("rated", "s1", "Hỏi được chấm?", "Đáp.", True, [])
    store.add_feedback("rated", -1, "thiếu ý")
    now[0] += 2 * 3600                                    # two hours later, the session has long expired
    store.add_message("new", "s2", "Hỏi mới?", "Đáp mới.", True, [])
    ids = {row[0] for row in store._db.execute("SELECT id FROM messages")}
    assert ids == {"rated", "new"}                        # the old turn is gone; the rated one stays for review
    assert store.feedback()[0]["answer"] == "Đáp."
    store.close()
