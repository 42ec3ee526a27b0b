"""`python -m sandbox.partner` as a real process: serves its protocol, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from sandbox.partner.__main__ import config_from, parse_args
from tests.sandbox.partner_helpers import port_from_log

ROOT = Path(__file__).resolve().parents[2]


async def test_cli_serves_ota_xml_and_stops_on_sigterm():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox.partner", "--protocol", "ota_xml", "--port", "0",
        "--partner-id", "ota-cli", "--properties", "P1:DBL", "--latency-ms", "1",
        cwd=ROOT, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        port = await port_from_log(process.stderr)
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            async with http.get("/health") as r:
                assert r.status == 200 and (await r.json())["protocol"] == "ota_xml"
            async with http.get("/admin/faults") as r:
                assert (await r.json())["latency_ms"] == 1
            async with http.post("/v1/properties/P1/ari", json={}) as r:
                assert r.status == 404  # one protocol per process
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_flags_make_the_config():
    config = config_from(parse_args([
        "--protocol", "json_rest", "--partner-id", "p-1", "--api-key", "k", "--hotelagg-target", "h:1",
        "--requests-per-minute", "5", "--properties", "P1:DBL,TWN", "--error-rate", "0.5", "--outage",
        "--timeout-rate", "0.1", "--timeout-seconds", "2", "--force-429", "--retry-after", "9"]))
    assert (config.protocol, config.partner_id, config.api_key, config.hotelagg_target) == \
        ("json_rest", "p-1", "k", "h:1")
    assert config.requests_per_minute == 5 and config.properties == {"P1": frozenset({"DBL", "TWN"})}
    faults = config.faults
    assert (faults.error_rate, faults.outage, faults.timeout_rate, faults.timeout_seconds) == (0.5, True, 0.1, 2.0)
    assert (faults.force_429, faults.retry_after_seconds) == (True, 9)
    for bad in (["--protocol", "soap"], ["--protocol", "json_rest", "--error-rate", "2"], []):
        with pytest.raises(SystemExit):
            parse_args(bad)
