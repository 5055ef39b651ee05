"""Personal data in 12345 orders (PIPL): masking for display, salted hashes for matching, text redaction."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping

from monitor.secrets import SecretError, read_secret

SALT_ENV = "YUQING_PII_SALT"
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-?(\d{3,4})(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])")
_MIN_SALT = 16


class PiiSaltMissing(SecretError):
    """Caller data arrived but there is no salt to hash it with, so it cannot be stored lawfully."""


def pii_salt(env: Mapping[str, str]) -> str | None:
    """The salt for caller hashes from YUQING_PII_SALT or YUQING_PII_SALT_FILE (None if unset)."""
    salt = read_secret(SALT_ENV, env)
    if salt is not None and len(salt) < _MIN_SALT:
        raise PiiSaltMissing(f"{SALT_ENV} is too short: use at least {_MIN_SALT} random characters")
    return salt


def require_salt(salt: str | None) -> str:
    """The salt, or an error that tells the operator exactly what to set."""
    if not salt:
        raise PiiSaltMissing(
            f"{SALT_ENV} is not set: 12345 caller names and phone numbers are kept only as salted "
            f"hashes; set {SALT_ENV} (or {SALT_ENV}_FILE) to a long random secret"
        )
    return salt


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the surname stays so a duty officer can address the caller."""
    name = "".join(name.split())
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def normalise_phone(phone: str) -> str:
    """Digits only, without the +86 / 0086 country prefix, so one number always hashes the same."""
    digits = re.sub(r"\D", "", phone)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers are masked entirely."""
    digits = normalise_phone(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def salted_hash(kind: str, value: str, salt: str) -> str:
    """HMAC-SHA256 of a normalised value: equal for the same caller, useless without the salt."""
    if kind == "phone":
        value = normalise_phone(value)
    else:
        value = "".join(unicodedata.normalize("NFKC", value).split())
    message = f"{kind}:{value}".encode()
    return hmac.new(salt.encode("utf-8"), message, hashlib.sha256).hexdigest()


def redact_text(text: str) -> str:
    """Mask phone and ID-card numbers that callers dictate into the complaint text."""
    if not text:
        return text
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}{'*' * 12}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)
