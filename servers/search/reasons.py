"""The reasons only search answers with: none yet. A search refuses bad input (runtime's INVALID_FIELD)
and otherwise answers what it has, flagged as not live; a reason of its own goes here."""

from __future__ import annotations

import enum


class SearchReason(enum.StrEnum):
    pass
