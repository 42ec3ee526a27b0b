"""How far the calendar and a stay reach, for every service that reads one (a search may not ask
beyond what inventory lets a hotel load)."""

from __future__ import annotations

# How far ahead a hotel may load inventory: three years covers every channel we know.
MAX_DAYS_AHEAD = 3 * 366
# The longest stay one booking, hold, search or partner reservation covers.
MAX_STAY_NIGHTS = 30
# A partner's reservation: how many rooms one may take (the gateway and the ledger check the same).
MAX_RESERVATION_ROOMS = 50
