"""`make run` itself: the README's command serves the bot on localhost: the REST webhook, the
web chat page at the README's URL, and the WeChat webhook (a signed simulated message sent by
the README's simulator command)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase
from tests.conftest import ROOT
from tests.e2e.conftest import free_port, wait_for

pytestmark = pytest.mark.e2e


def test_make_run_serves_the_bot(trained_model: Path, kb: KnowledgeBase, tmp_path: Path) -> None:
    rasa_port, actions_port = free_port(), free_port()
    log = tmp_path / "run.log"
    env = {**os.environ, "RASA_PORT": str(rasa_port), "ACTIONS_PORT": str(actions_port)}
    with open(log, "w") as out:
        process = subprocess.Popen(["make", "-s", "run"], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"http://localhost:{rasa_port}/status", process, log)
        request = urllib.request.Request(
            f"http://localhost:{rasa_port}/webhooks/rest/webhook",
            data=json.dumps({"sender": "run", "message": "第三十六条第三款是什么"}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            texts = [m["text"] for m in json.loads(response.read())]
        expected = kb.get_article("信访工作条例", 36, paragraph=3).render()
        assert texts == [expected]

        readme = (ROOT / "README.md").read_text("utf-8")
        assert "http://localhost:5005/webhooks/web/" in readme
        with urllib.request.urlopen(f"http://localhost:{rasa_port}/webhooks/web/",
                                    timeout=30) as response:
            page = response.read().decode("utf-8")
            assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert "<title>" in page and "chat.js" in page

        simulated = subprocess.run(
            [sys.executable, "-m", "bot.channels.wechat_sim", "--aes",
             "--url", f"http://localhost:{rasa_port}/webhooks/wechat/webhook",
             "第三十六条第三款是什么"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert simulated.returncode == 0, simulated.stderr[-2000:]
        assert expected in simulated.stdout
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
