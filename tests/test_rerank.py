"""What the learned order knows of a question and a passage before it weighs them."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from assistant.rerank import _matches, question_facts

pytestmark = pytest.mark.unit


def passage(text: str, *path: str):
    return SimpleNamespace(text=text, path=["Luật", *path])


def test_a_cooperatives_own_fund_is_not_another_kind_of_organisation():
    # "quỹ chung không chia" belongs to the hợp tác xã asked about: its clause is not demoted
    asked = question_facts("Hợp tác xã phải trích bao nhiêu phần trăm thu nhập vào quỹ chung không chia?")
    assert asked["kinds"] == {"hợp tác xã"}
    clause = passage("2. Thu nhập từ giao dịch bên ngoài của hợp tác xã, liên hiệp hợp tác xã; thu nhập từ góp vốn",
                     "Điều 84. Quỹ chung không chia")
    assert _matches(clause, asked)[0] == 1.0


def test_the_support_fund_is_its_own_kind():
    asked = question_facts("Quỹ hỗ trợ phát triển hợp tác xã cho vay với lãi suất thế nào?")
    assert asked["kinds"] == {"quỹ"}
    about_members = passage("1. Thành viên chính thức của hợp tác xã có quyền sau đây:", "Điều 31. Quyền của thành viên")
    assert _matches(about_members, asked)[0] == 0.0
    about_fund = passage("1. Quỹ hỗ trợ phát triển hợp tác xã là quỹ tài chính nhà nước ngoài ngân sách",
                         "Điều 29. Quỹ hỗ trợ phát triển hợp tác xã")
    assert _matches(about_fund, asked)[0] == 1.0
