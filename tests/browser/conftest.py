"""Browser tests: a live caseflow server in a subprocess and Debian's chromium through Playwright.

The live server has its own database — a SQLite file in a temp folder, or, in the PostgreSQL pass
(TEST_DATABASE_URL), a fresh database on that server — migrated and seeded with the demo district
through the real services (tests/browser/serve.py). It runs in a separate process, so
the per-test rollback fixture ``db`` (autouse, tests/conftest.py), which swaps the shared
``db.session`` in this process, cannot touch its requests. Tests arrange anything else only by
clicking through the UI as the demo users.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from caseflow.config import PROJECT_ROOT
from tests.conftest import IS_POSTGRES, ThrowawayDatabase

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run"]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"


class LiveServer:
    def __init__(self, folder: Path):
        self.folder, self.port_file, self.log = folder, folder / "port", folder / "server.log"
        self.database = ThrowawayDatabase("live") if IS_POSTGRES else None
        url = self.database.url if self.database else f"sqlite:///{folder / 'live.sqlite'}"
        env = {**os.environ, "CASEFLOW_INSTANCE": str(folder), "SECRET_KEY": "live", "DATABASE_URL": url}
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.browser.serve", env["DATABASE_URL"], str(self.port_file)],
                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The base URL, once the server answers (seeding the demo takes a few seconds)."""
        if self._url is None:
            self._url = self._wait()
        return self._url

    def _wait(self, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the live server exited with {self.process.returncode}:\n{self.log.read_text()}")
            if self.port_file.exists():
                base = f"http://127.0.0.1:{self.port_file.read_text()}"
                try:
                    with urllib.request.urlopen(f"{base}/login", timeout=5) as r:
                        if r.status == 200:
                            return base
                except OSError:
                    pass
            time.sleep(0.1)
        pytest.fail(f"the live server did not answer within {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.database:
            self.database.drop()


@pytest.fixture(scope="session", autouse=True)
def _live_server_process(tmp_path_factory):
    """Started first (session autouse), so seeding overlaps the test database's migration and chromium's start."""
    server = LiveServer(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server(_live_server_process) -> str:
    """Base URL of a migrated, demo-seeded caseflow on a free port of 127.0.0.1."""
    return _live_server_process.url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: make test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def _logins() -> dict:
    """Storage state (the session cookie) of each demo user after their one real login of the run."""
    return {}


@pytest.fixture
def ui(browser, live_server, screenshots, _logins):
    from tests.browser.pages import UI

    ui = UI(browser, live_server, screenshots, _logins)
    yield ui
    ui.close()
