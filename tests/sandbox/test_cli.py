"""`python -m sandbox.channel_manager` as a real process: serves the demo, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import signal
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


async def _port_from_log(stderr: asyncio.StreamReader) -> int:
    while line := await asyncio.wait_for(stderr.readline(), 15):
        if match := re.search(rb"listening on http://[\d.]+:(\d+)", line):
            return int(match.group(1))
    raise AssertionError("the channel manager exited before logging its port")


async def test_cli_serves_the_demo_and_stops_on_sigterm():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox.channel_manager", "--port", "0", "--seed-demo", "--api-key", "k-cli",
        cwd=ROOT, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        port = await _port_from_log(process.stderr)
        today = dt.datetime.now(dt.UTC).date()
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", headers={"X-Api-Key": "k-cli"}) as http:
            async with http.get("/health") as r:
                assert r.status == 200
            params = {"start": today.isoformat(), "end": (today + dt.timedelta(days=3)).isoformat()}
            async with http.get("/hotels/CM-ROM-1/ari", params=params) as r:
                body = await r.json()
        assert body["currency"] == "EUR" and [rt["code"] for rt in body["room_types"]] == ["STD", "DLX", "FAM"]
        assert [n["total"] for n in body["room_types"][0]["nights"]] == [12, 12, 12]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
