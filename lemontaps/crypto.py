"""Encryption at rest for Salesforce tokens (Fernet, rotatable keys, bound to the account).

Fernet has no associated data, so the plaintext carries the account id and is checked on
decryption: a ciphertext copied into another account's row does not decrypt there."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet


class TokenDecryptError(Exception):
    pass


class TokenCipher:
    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("TOKEN_ENCRYPTION_KEYS is empty")
        # The first key encrypts; every key decrypts, so old keys can be retired after rotate().
        self._fernet = MultiFernet(
            [Fernet(key.encode() if isinstance(key, str) else key) for key in keys]
        )

    def encrypt(self, account_id: int, purpose: str, secret: str) -> str:
        payload = json.dumps({"a": account_id, "p": purpose, "s": secret})
        return self._fernet.encrypt(payload.encode()).decode()

    def decrypt(self, account_id: int, purpose: str, ciphertext: str) -> str:
        try:
            payload = json.loads(self._fernet.decrypt(ciphertext.encode()))
        except (InvalidToken, ValueError):
            raise TokenDecryptError("token does not decrypt with the configured keys") from None
        if payload.get("a") != account_id or payload.get("p") != purpose:
            raise TokenDecryptError("token belongs to another account or purpose")
        return payload["s"]

    def rotate(self, ciphertext: str) -> str:
        return self._fernet.rotate(ciphertext.encode()).decode()


def parse_keys(value: str | list | tuple | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [k for k in value if k]
    return [k.strip() for k in value.split(",") if k.strip()]


def instance_secret(instance_path: str, name: str, make: Callable[[], str]) -> str:
    """A secret for development and the demo, made on first start and kept in instance/
    (never committed), so no key printed in the source can forge a cookie or read a token.
    Every process of one checkout (web, workers, CLI) reads the same file."""
    path = os.path.join(instance_path, name)
    try:
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(make())
    except FileExistsError:
        pass  # made by an earlier start, or by a process starting at the same moment
    for _ in range(50):  # a process that just created the file may still be writing it
        with open(path) as file:
            secret = file.read().strip()
        if secret:
            return secret
        time.sleep(0.1)
    raise RuntimeError(f"{path} is empty: delete it and start again")
