"""Masking, salted hashing and redaction of caller data (PIPL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.sources.pii import (
    PiiSaltMissing,
    mask_name,
    mask_phone,
    pii_salt,
    redact_text,
    require_salt,
    salted_hash,
)


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), (" 王 五 ", "王*"), ("", "")]
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("0086 13812345678", "138****5678"),
        ("0571-88123456", "057*****3456"),
        ("12345", "*****"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_hashes_match_the_same_caller_and_depend_on_the_salt() -> None:
    salt = "s" * 20
    assert salted_hash("phone", "138 1234 5678", salt) == salted_hash("phone", "+8613812345678", salt)
    assert salted_hash("phone", "13812345678", salt) != salted_hash("phone", "13812345678", "t" * 20)
    assert salted_hash("name", "张三", salt) != salted_hash("phone", "张三", salt)
    assert "13812345678" not in salted_hash("phone", "13812345678", salt)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("电话13812345678请回电", "电话138****5678请回电"),
        ("手机 138-1234-5678", "手机 138****5678"),
        ("座机0571-88123456", "座机0571-****3456"),
        ("身份证号11010119900307123X", "身份证号110101************"),
        ("工单号20260601000123456789", "工单号20260601000123456789"),
        ("金额12000元", "金额12000元"),
    ],
)
def test_redact_text(text: str, redacted: str) -> None:
    assert redact_text(text) == redacted


def test_salt_from_env_or_file(tmp_path: Path) -> None:
    assert pii_salt({}) is None
    assert pii_salt({"YUQING_PII_SALT": "x" * 16}) == "x" * 16
    (tmp_path / "salt").write_text("y" * 32 + "\n")
    assert pii_salt({"YUQING_PII_SALT_FILE": str(tmp_path / "salt")}) == "y" * 32
    with pytest.raises(PiiSaltMissing, match="too short"):
        pii_salt({"YUQING_PII_SALT": "short"})
    with pytest.raises(PiiSaltMissing, match="YUQING_PII_SALT_FILE"):
        require_salt(None)
