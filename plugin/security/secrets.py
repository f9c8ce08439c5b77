"""Secrets at rest (access tokens, webhook secrets) are Fernet-encrypted with a key from the environment."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SecretUnreadable(ValueError):
    """A stored secret does not open with the configured key (SLA_ENCRYPTION_KEY was changed)."""


class SecretBox:
    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as error:
            raise ValueError("SLA_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes)") from error
        self._opened: dict[bytes, str] = {}

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def open(self, sealed: bytes) -> str:
        """Decrypt; remembered per ciphertext, as every webhook of a tenant needs its secret."""
        opened = self._opened.get(sealed)
        if opened is None:
            try:
                opened = self._fernet.decrypt(sealed).decode()
            except InvalidToken as error:
                raise SecretUnreadable("a stored secret does not open with SLA_ENCRYPTION_KEY: it is not the key "
                                       "the secrets were sealed with") from error
            if len(self._opened) >= 1024:
                self._opened.clear()
            self._opened[sealed] = opened
        return opened
