"""`python -m servers run`: the whole system on one machine, nothing to install but Python.

Every service in one process on SQLite with the in-process cache and queue, and beside it, each a
process of its own like the real ones: the sandbox channel manager (its Rome hotels are mirrored here
through signed webhooks and the change-feed poller, while its competing channels sell rooms too)
the sandbox payment gateway that bookings pay through, and two sandbox partners (json_rest on :8092,
ota_xml on :8093) that list the Lisbon demo hotels, receive their ARI and can sell them back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time

import aiohttp

from servers import bootstrap
from servers.demo_partners import demo_partners, seed_demo_partners
from servers.inventory.api.webhooks import webhook_path
from servers.runtime.config import ChannelManagerSettings, Settings
from servers.runtime.server import exit_now, serve_until_signalled
from servers.seed import seed_sandbox_hotels
from servers.storage.database import Database

log = logging.getLogger("hotelagg.embedded")

SANDBOX_ID = "sandbox"
SANDBOX_KEY = "sandbox-key"
# How long the sandboxes get to leave on SIGTERM before SIGKILL, after a clean stop and after an overrun.
HELPERS_STOP_SECONDS = 10.0
HELPERS_STOP_SECONDS_AFTER_OVERRUN = 0.5
# Fine for a demo on one machine; a real channel manager's secret comes from HOTELAGG_CHANNEL_MANAGERS.
SANDBOX_WEBHOOK_SECRET = "embedded-sandbox-webhook-secret"


def with_sandbox(settings: Settings, port: int) -> Settings:
    if SANDBOX_ID in settings.channel_managers:
        return settings
    sandbox = ChannelManagerSettings(base_url=f"http://127.0.0.1:{port}", api_key=SANDBOX_KEY,
                                     webhook_secret=SANDBOX_WEBHOOK_SECRET)
    return settings.model_copy(update={"channel_managers": {**settings.channel_managers, SANDBOX_ID: sandbox}})


def start_process(module: str, args: list[str], log_path: str) -> subprocess.Popen:
    """A sandbox as a process of its own; its log goes to a file, ours stays JSON on stderr."""
    os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
    with open(log_path, "ab") as log_file:
        return subprocess.Popen([sys.executable, "-m", module, *args], stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=log_file)


async def wait_until_up(base_url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{base_url}/health") as reply:
                    if reply.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"the sandbox at {base_url} did not start")


async def subscribe(cm: ChannelManagerSettings, webhook_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{cm.base_url}/subscriptions", headers={"X-Api-Key": cm.api_key},
                                json={"url": webhook_url, "secret": cm.webhook_secret}) as reply:
            reply.raise_for_status()


async def _link_sandbox_hotels(settings: Settings, base_url: str, partners) -> None:
    db = Database(settings.database_url)
    try:
        await seed_sandbox_hotels(db, base_url)
        await seed_demo_partners(db, partners)
    finally:
        await db.dispose()


def start_partners(settings: Settings, partners, log_dir: str) -> list[subprocess.Popen]:
    return [start_process("sandbox.partner", [
        "--protocol", p.protocol, "--port", str(p.port), "--partner-id", p.partner_id, "--api-key", p.api_key,
        "--requests-per-minute", "120", "--hotelagg-target", f"127.0.0.1:{settings.port}",
        "--hotelagg-webhook-url", f"http://127.0.0.1:{settings.webhook_port}"],
        os.path.join(log_dir, f"sandbox-partner-{p.protocol}.log")) for p in partners]


async def run(settings: Settings) -> None:
    sandbox_port = int(os.environ.get("HOTELAGG_SANDBOX_PORT", "8090"))
    payments_port = int(os.environ.get("HOTELAGG_SANDBOX_PAYMENTS_PORT", "8091"))
    rate = float(os.environ.get("HOTELAGG_SANDBOX_COMPETITOR_RATE", "0.2"))
    settings = with_sandbox(settings, sandbox_port)
    payment_gateway_url = settings.payment_gateway_url or f"http://127.0.0.1:{payments_port}"
    settings = settings.model_copy(update={"payment_gateway_url": payment_gateway_url})
    cm = settings.channel_managers[SANDBOX_ID]
    log_dir = os.environ.get("HOTELAGG_SANDBOX_LOG_DIR", "var")
    sandbox = start_process("sandbox.channel_manager", [
        "--port", str(sandbox_port), "--api-key", SANDBOX_KEY, "--seed-demo", "--competitor-rate", str(rate)],
        os.path.join(log_dir, "sandbox-channel-manager.log"))
    gateway = start_process("sandbox.payment_gateway", ["--port", str(payments_port),
                                                         "--api-key", settings.payment_api_key],
                            os.path.join(log_dir, "sandbox-payment-gateway.log"))
    partners = demo_partners(int(os.environ.get("HOTELAGG_SANDBOX_JSON_PARTNER_PORT", "8092")),
                             int(os.environ.get("HOTELAGG_SANDBOX_OTA_PARTNER_PORT", "8093")))
    helpers = [sandbox, gateway, *start_partners(settings, partners, log_dir)]
    clean = True  # a failed start stops its sandboxes as a clean stop would
    try:
        for url in (cm.base_url, payment_gateway_url, *(p.endpoint for p in partners)):
            await wait_until_up(url)
        await _link_sandbox_hotels(settings, cm.base_url, partners)
        running = await bootstrap.start(settings)
        assert running.system is not None  # bootstrap.start always says what it built
        webhook_port = running.system.webhook_port
        await subscribe(cm, f"http://127.0.0.1:{webhook_port}{webhook_path(SANDBOX_ID)}")
        print(f"hotelagg serving every service on {settings.host}:{running.port}; webhooks on :{webhook_port}; "
              f"sandbox channel manager on :{sandbox_port}, payment gateway on :{payments_port}, "
              f"partners on :{partners[0].port} (json_rest) and :{partners[1].port} (ota_xml)", flush=True)
        clean = await serve_until_signalled(running, settings.shutdown_grace_seconds)
    finally:
        # After an overrun the process leaves now: the sandboxes keep nothing a wait would save (their
        # state lives in their memory), so they get a moment, not the ten seconds of a clean stop.
        stop_helpers(helpers, HELPERS_STOP_SECONDS if clean else HELPERS_STOP_SECONDS_AFTER_OVERRUN)
    if not clean:
        exit_now()


def stop_helpers(helpers: list[subprocess.Popen], patience: float) -> None:
    """SIGTERM to every sandbox at once, then SIGKILL to those still running after `patience` seconds in all."""
    for process in helpers:
        process.terminate()
    deadline = time.monotonic() + patience
    for process in helpers:
        try:
            process.wait(max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
