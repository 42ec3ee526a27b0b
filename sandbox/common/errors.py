"""The refusal every sandbox protocol speaks: a snake_case code, a message and extra fields."""

from __future__ import annotations


class ProtocolError(Exception):
    """A refusal the protocol names: `code` is its snake_case error, `extra` goes into the JSON answer."""

    def __init__(self, code: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def to_json(self) -> dict:
        return {"error": self.code, "message": self.message, **self.extra}
