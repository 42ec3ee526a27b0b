"""make run's sandboxes are stopped within a bound, even one that ignores SIGTERM."""

from __future__ import annotations

import subprocess
import sys
import time

from servers.embedded import stop_helpers

IGNORES_SIGTERM = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                   "print('ready', flush=True); time.sleep(60)")
LEAVES_ON_SIGTERM = "import time; print('ready', flush=True); time.sleep(60)"


def _started(code: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def test_every_sandbox_is_gone_within_the_patience_and_a_stubborn_one_is_killed():
    stubborn, polite = _started(IGNORES_SIGTERM), _started(LEAVES_ON_SIGTERM)
    began = time.monotonic()
    stop_helpers([stubborn, polite], patience=0.5)
    assert time.monotonic() - began < 3
    assert polite.returncode == -15  # SIGTERM was enough
    assert stubborn.returncode == -9  # SIGKILL once the patience ran out
