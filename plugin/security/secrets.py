"""Secrets at rest (access tokens, webhook secrets) are Fernet-encrypted with a key from the environment."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as error:
            raise ValueError("SLA_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes)") from error

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken as error:
            raise ValueError("a stored secret cannot be decrypted with the configured key") from error
