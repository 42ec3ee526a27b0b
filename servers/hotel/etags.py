"""Etags: what a client sends back to say "the version I read", for a booking, a partner, a listing
or a range of nights alike."""

from __future__ import annotations

import hashlib


def etag(*parts: object) -> str:
    """An opaque tag that changes whenever one of the parts (ids and versions) changes."""
    text = "|".join(str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
