"""Shared fixtures: a knowledge database built once per test session in a temp folder."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import config
from bot.knowledge import KnowledgeBase, api, build_knowledge

ROOT = Path(__file__).resolve().parents[1]
LEGAL_ROUTES = ROOT.parent / "shared" / "legal-routes.md"


@pytest.fixture(scope="session")
def kb_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite URL holding a freshly built knowledge database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}"
    build_knowledge(url)
    return url


@pytest.fixture(scope="session")
def kb(kb_url: str) -> KnowledgeBase:
    """The knowledge base, read through the public API."""
    return api.open_knowledge(kb_url, auto_build=False)


@pytest.fixture()
def use_kb(monkeypatch: pytest.MonkeyPatch, kb_url: str) -> str:
    """Point the default database (BOT_DB_URL) at the test knowledge database."""
    monkeypatch.setenv("BOT_DB_URL", kb_url)
    return kb_url


@pytest.fixture()
def knowledge_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of knowledge/, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(config.knowledge_dir(), target)
    yield target


MODEL = ROOT / "models" / "xinfang.tar.gz"


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """models/xinfang.tar.gz, trained by `make train` when missing or stale."""
    import subprocess

    subprocess.run(["make", "-s", "train"], cwd=ROOT, check=True, timeout=1800)
    assert MODEL.is_file()
    return MODEL


def channel_codes() -> list[str]:
    """The channel codes: those of ../shared/legal-routes.md when present, else the catalogue's
    (knowledge/channels.yaml, itself checked against legal-routes.md when that file exists)."""
    import yaml

    codes = legal_route_codes()
    if codes:
        return codes
    data = yaml.safe_load((config.knowledge_dir() / "channels.yaml").read_text("utf-8"))
    return [c["code"] for c in data["channels"]]


def legal_route_codes() -> list[str]:
    """Channel codes of ../shared/legal-routes.md (empty when the file is absent)."""
    if not LEGAL_ROUTES.is_file():
        return []
    return re.findall(r"^\| `([a-z_]+)` \|", LEGAL_ROUTES.read_text(encoding="utf-8"), re.M)


def _pg_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1 (the production database kind).

    Needs PostgreSQL's server binaries (Debian package ``postgresql``; .ci/run installs it).
    Fails in CI when they are missing, skips elsewhere.
    """
    import os
    import pwd
    import socket
    import subprocess
    import tempfile

    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries (initdb) not found")
        pytest.skip("PostgreSQL server binaries (initdb) not installed")
    base = Path(tempfile.mkdtemp(prefix="xinfang-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = base / "data"
    run = lambda *args: subprocess.run([*prefix, *args], check=True, capture_output=True,  # noqa: E731
                                       timeout=120)
    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "-o",
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        from bot.storage import dispose_engines

        dispose_engines()
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
