"""The unified social credit code (统一社会信用代码): GB 32100-2015 check character."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supervision.companies.credit_code import (
    ALPHABET,
    check_character,
    credit_code_error,
    is_valid_credit_code,
    make_credit_code,
)

# Published codes of real organisations (from their business licences / public registries).
REAL_CODES = [
    "91350100M000100Y43",  # the worked example in GB 32100-2015
    "91110000802100433B",  # China Petroleum & Chemical Corporation (Sinopec)
    "91440300708461136T",  # Tencent (Shenzhen) Co., Ltd.
    "11100000000013127D",  # a State Council organ (category 1, central)
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_published_codes_are_valid(code):
    assert credit_code_error(code) is None
    assert is_valid_credit_code(code)


def test_check_character_of_the_standard_example():
    assert check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize("code, fragment", [
    ("91350100M000100Y4", "应为18位，当前为17位"),
    ("91350100M000100Y433", "当前为19位"),
    ("", "当前为0位"),
    ("91350100M000100Y44", "校验码错误：第18位应为“3”，实际为“4”"),
    ("91350100I000100Y43", "第9位字符“I”不合法"),
    ("91350100O000100Y43", "第9位字符“O”不合法"),
    ("91350100m000100Y43", "第9位“m”应为大写字母"),
    ("9135010-M000100Y43", "第8位字符“-”不合法"),
])
def test_invalid_codes_say_what_is_wrong(code, fragment):
    message = credit_code_error(code)
    assert message is not None and fragment in message


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_a_completed_code_is_valid(body):
    assert is_valid_credit_code(make_credit_code(body))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17), st.integers(0, 16), st.sampled_from(ALPHABET))
def test_changing_one_character_is_detected(body, position, replacement):
    code = make_credit_code(body)
    if code[position] == replacement:
        return
    altered = code[:position] + replacement + code[position + 1:]
    # Weights are coprime with 31, so any single substitution changes the check character.
    assert not is_valid_credit_code(altered)
