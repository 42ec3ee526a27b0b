"""Test card tokens, as a real gateway's test mode offers them: each one plays one outcome on demand."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    token: str
    decline: str | None = None  # the 402 error code, when the card is refused
    hangs: bool = False  # authorize never answers in time, and creates nothing
    processing_error: bool = False  # authorize answers 500, and creates nothing
    capture_failures: int = 0  # capture attempts that answer 500 before one succeeds

    __test__ = False  # not a pytest test class, whatever its name says


CARDS = {card.token: card for card in (
    TestCard("tok_visa"),
    TestCard("tok_declined", decline="card_declined"),
    TestCard("tok_insufficient_funds", decline="insufficient_funds"),
    TestCard("tok_timeout", hangs=True),
    TestCard("tok_processing_error", processing_error=True),
    TestCard("tok_capture_fails", capture_failures=2),
)}
