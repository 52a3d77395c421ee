"""Field encryption for personal data (ID numbers, bank accounts) and keyed hashes for search.

AES-256-GCM with a key from POLICYDESK_FIELD_KEY (32 bytes, base64). The stored value is
version byte + 12-byte nonce + ciphertext; the keyed hash is HMAC-SHA256 under a second key
derived from the same secret, so an exact search needs no decryption and a stolen database
without the key reveals neither the numbers nor a way to test guesses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = b"\x01"


@cache
def _keys() -> tuple[bytes, bytes]:
    encoded = settings.POLICYDESK_FIELD_KEY
    try:
        master = base64.b64decode(encoded, validate=True)
    except ValueError as error:
        raise ImproperlyConfigured("POLICYDESK_FIELD_KEY must be base64.") from error
    if len(master) != 32:
        raise ImproperlyConfigured("POLICYDESK_FIELD_KEY must decode to 32 bytes.")
    encryption = hmac.new(master, b"policydesk field encryption", hashlib.sha256).digest()
    search = hmac.new(master, b"policydesk search hash", hashlib.sha256).digest()
    return encryption, search


@cache
def _aead(key: bytes) -> AESGCM:
    return AESGCM(key)


def _search_mac(key: bytes) -> hmac.HMAC:
    return _SEARCH_MACS.get(key) or _SEARCH_MACS.setdefault(
        key, hmac.new(key, digestmod=hashlib.sha256)
    )


_SEARCH_MACS: dict[bytes, hmac.HMAC] = {}


def encrypt_text(value: str) -> bytes:
    nonce = os.urandom(12)
    sealed = _aead(_keys()[0]).encrypt(nonce, value.encode("utf-8"), VERSION)
    return VERSION + nonce + sealed


def decrypt_text(blob: bytes | memoryview) -> str:
    data = bytes(blob)
    if not data or data[:1] != VERSION:
        raise ValueError("Unknown ciphertext version.")
    return AESGCM(_keys()[0]).decrypt(data[1:13], data[13:], VERSION).decode("utf-8")


def search_hash(normalised: str) -> str:
    mac = _search_mac(_keys()[1]).copy()  # the keyed state, computed once per key
    mac.update(normalised.encode("utf-8"))
    return mac.hexdigest()


def normalise_identifier(value: str) -> str:
    """ID and account numbers compare without spaces, dashes or case (x/X in resident IDs)."""
    upper = value.upper()
    if upper.isascii() and upper.isalnum():
        return upper  # the common case, as the loop below would return it
    return "".join(ch for ch in upper if ch.isalnum())
