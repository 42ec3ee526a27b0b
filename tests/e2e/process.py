"""`python -m servers ...` as a user starts it: a real process on a free port, its logs in files."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


_HANDED_OUT: set[int] = set()


def _worker_share() -> tuple[int, int]:
    """This pytest-xdist worker's index and the number of workers ((0, 1) when the run is serial)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


def free_port() -> int:
    """A port nothing listens on now, for a process that binds it a moment later.

    The port is closed between here and the child's bind, and our servers bind with SO_REUSEPORT, so two
    tests handed the same port would share it without an error. The kernel picks the port; this worker
    keeps only ports of its own share (port // 2 modulo the number of workers: bind(0) prefers one
    parity), so two workers of one run never get the same one, and it never hands out one twice.
    """
    index, count = _worker_share()
    for _ in range(1000):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if (port // 2) % count == index and port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError(f"no free port of worker {index}'s share after 1000 tries")


def clean_env(**settings: str) -> dict[str, str]:
    """This environment without HOTELAGG_* variables, plus the given settings as HOTELAGG_<NAME>."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTELAGG_")}
    env["HOTELAGG_ENVIRONMENT"] = "development"  # its public default secrets, whatever the stores
    env.update({f"HOTELAGG_{name.upper()}": value for name, value in settings.items()})
    return env


def run_command(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "servers", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


class ServerProcess:
    def __init__(self, args: list[str], workdir: Path, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.stdout_path, self.stderr_path = workdir / "stdout.log", workdir / "stderr.log"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            # A process group of its own: `run` starts sandboxes as children, and a kill of the server alone
            # would leave them running after the test (holding ports, writing logs, loading the machine).
            self.process = subprocess.Popen([sys.executable, "-m", "servers", *args], cwd=ROOT, env=env,
                                            stdout=out, stderr=err, start_new_session=True)
        # Polled while the server starts: retry the connection often rather than back off for seconds.
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[
            ("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 300),
        ])

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.channel.close()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the server and whatever it started
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def log_entries(self) -> list[dict]:
        """Every stderr line, each of which must be one JSON object."""
        return [json.loads(line) for line in self.stderr().splitlines() if line.strip()]

    def health(self, service: str = "", timeout: float = 2) -> int:
        stub = health_pb2_grpc.HealthStub(self.channel)
        return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout).status

    def wait_serving(self, seconds: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.stderr()}")
            try:
                if self.health(timeout=1) == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"not SERVING after {seconds} s:\n{self.stderr()}")
            time.sleep(0.1)

    def terminate(self, timeout: float) -> int:
        """SIGTERM, then the exit code; fails when the process outlives the timeout."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {timeout} s after SIGTERM:\n{self.stderr()}") from None
