"""Fixtures that train the model and start real servers (marked e2e; part of `make test`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

VENV_BIN = Path(sys.executable).parent
PRACTICE_STAFF = "practice-staff-e2e"  # senders listed as staff for the test servers: REST,
PRACTICE_WEB_STAFF = "staff-e2e-7f3k9x2q"  # and the web page opened with ?sender=


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 240) -> None:
    """Poll ``url`` until it answers; fail with the server's log if it dies or times out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer in {seconds}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def rasa_server(trained_model: Path, kb_url: str,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The action server and `rasa run` on free localhost ports, with a SQLite tracker store.

    WeChat's API (token, customer-service messages) is a local fake (``wechat_api``), so the
    servers never call out.
    """
    from bot.channels.wechat_sim import FakeApi

    work = tmp_path_factory.mktemp("rasa")
    wechat_api = FakeApi(free_port())
    actions_port, rasa_port = free_port(), free_port()
    tracker_db = work / "tracker.db"
    (work / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "http://localhost:{actions_port}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{tracker_db}"\n', "utf-8")
    staff = work / "staff.yml"  # the practice mode's staff list (tests/e2e/test_practice_*)
    staff.write_text(f'staff:\n  - sender: "{PRACTICE_STAFF}"\n    id: "E2E-STAFF"\n'
                     f'  - sender: "web-{PRACTICE_WEB_STAFF}"\n    id: "E2E-WEB-STAFF"\n', "utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BOT_DB_URL": kb_url,
           "BOT_STAFF_CONFIG": str(staff),
           "WECHAT_API_BASE_URL": f"http://127.0.0.1:{wechat_api.server.server_port}/",
           "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    processes: list[subprocess.Popen] = []
    logs = {name: open(work / f"{name}.log", "w") for name in ("actions", "rasa")}  # noqa: SIM115
    try:
        processes.append(subprocess.Popen(
            [str(VENV_BIN / "rasa"), "run", "actions", "--port", str(actions_port),
             "--actions", "actions"],
            cwd=ROOT, env=env, stdout=logs["actions"], stderr=subprocess.STDOUT))
        wait_for(f"http://localhost:{actions_port}/health", processes[0], work / "actions.log")
        processes.append(subprocess.Popen(
            [str(VENV_BIN / "rasa"), "run", "--enable-api", "-i", "127.0.0.1",
             "--port", str(rasa_port), "-m", str(trained_model),
             "--endpoints", str(work / "endpoints.yml"),
             "--credentials", str(ROOT / "credentials.yml")],
            cwd=ROOT, env=env, stdout=logs["rasa"], stderr=subprocess.STDOUT))
        wait_for(f"http://localhost:{rasa_port}/status", processes[1], work / "rasa.log")
        yield {"rasa": f"http://localhost:{rasa_port}", "tracker_db": str(tracker_db),
               "model": str(trained_model), "work": work, "wechat_api": wechat_api}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for handle in logs.values():
            handle.close()
        wechat_api.close()
