"""Masking of personal data in audit values, pages and exports."""

from __future__ import annotations

from typing import Any

# Keys whose values are personal or secret; matched as substrings of the key name.
SECRET_KEY_PARTS = ("password", "secret", "token_hash", "otp_key")
PERSONAL_KEY_PARTS = ("id_number", "phone", "mobile", "bank_account", "account_number", "email")


def mask_value(value: str, *, keep_last: int = 4) -> str:
    """'13812345678' -> '*******5678'; short values are masked whole."""
    text = str(value)
    if len(text) <= keep_last:
        return "*" * len(text)
    return "*" * (len(text) - keep_last) + text[-keep_last:]


def mask_email(value: str) -> str:
    local, _, domain = str(value).partition("@")
    if not domain:
        return mask_value(value)
    return (local[:1] + "***@" + domain) if local else "***@" + domain


def mask_personal_data(data: Any) -> Any:
    """Return a copy of a JSON-like value with personal and secret fields masked."""
    if isinstance(data, dict):
        masked: dict[str, Any] = {}
        for key, value in data.items():
            lowered = str(key).lower()
            if value in (None, ""):
                masked[key] = value
            elif any(part in lowered for part in SECRET_KEY_PARTS):
                masked[key] = "[redacted]"
            elif "email" in lowered and isinstance(value, str):
                masked[key] = mask_email(value)
            elif any(part in lowered for part in PERSONAL_KEY_PARTS) and isinstance(
                value, str | int
            ):
                masked[key] = mask_value(str(value))
            else:
                masked[key] = mask_personal_data(value)
        return masked
    if isinstance(data, list):
        return [mask_personal_data(item) for item in data]
    return data
