"""Fixtures for the real-browser tests: JupyterLab + Debian Chromium driven by Playwright.

- `scripted` (session): the project's ScriptedServer; the kernel's agent config points at it.
- `lab` (session): `jupyter lab` on 127.0.0.1 (free port, no token) in its own process group,
  with isolated JUPYTER_*/JUPYTERLAB_*/IPYTHONDIR dirs, the news toast off, and
  KERNEL_AGENT_HOME holding a config for `scripted` with a fake key (kernels inherit the
  server's environment). Its log goes to test-artifacts/browser/jupyter-server.log.
- `notebook7` (session): the same for Notebook 7 (`jupyter notebook`, package `notebook`);
  its log goes to test-artifacts/browser/notebook7-server.log. Both are made by `_serve`.
- `browser` (session, tests/conftest.py): /usr/bin/chromium launched by Playwright, shared with tests/hub.
- `page` (function): a fresh browser context; console errors are saved beside the screenshots.

Without Chromium or Playwright the tests are skipped locally and fail on CI (`CI` set),
where .ci/sysdeps installs Chromium and the `test` extra installs Playwright.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.scripted_server import ScriptedServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
FAKE_KEY = "sk-browser-test-0123456789abcdef"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]


def _unavailable(reason: str, what: str = "browser tests") -> None:
    """Skip locally; fail on CI (`CI` set), where .ci/sysdeps and the `test` extra install everything."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} cannot run on CI: {reason}")
    pytest.skip(reason)


@dataclass
class Lab:
    """A running Jupyter server: JupyterLab (`app == "lab"`) or Notebook 7 (`app == "notebook"`)."""

    url: str
    root: Path
    agent_home: Path
    scripted: ScriptedServer
    app: str = "lab"

    def notebook(self, name: str, cells: list[str]) -> str:
        """Write a notebook of code cells into the server root; returns the URL that opens it
        (JupyterLab: /lab/tree/NAME?reset; Notebook 7: /notebooks/NAME)."""
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nbformat.write(nb, self.root / name)
        return self.open_url(name)

    def open_url(self, name: str) -> str:
        """The URL that opens the notebook `name` (already in the server root)."""
        return f"{self.url}/lab/tree/{name}?reset" if self.app == "lab" else f"{self.url}/notebooks/{name}"

    def get_json(self, path: str) -> object:
        """GET from the server's REST API (no token needed); the decoded JSON body. (POSTs
        need the page's XSRF cookie: send them from the page, see test_static_browser.)"""
        with urllib.request.urlopen(f"{self.url}{path}", timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture(scope="session")
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60, *, path: str = "/api/status",
                what: str = "the jupyter server") -> None:
    """Until `url + path` answers 200; the process's exit or the timeout raises with the log's tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}):\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{what} did not answer {path} in {timeout}s:\n{log.read_text()[-4000:]}")


def _serve(base: Path, scripted: ScriptedServer, app: str, log_name: str, python: str = sys.executable) -> Iterator[Lab]:
    """Run `jupyter lab` (`app == "lab"`) or Notebook 7 (`app == "notebook"`) isolated under `base`,
    with `python` (another venv's, for tests/jupyter_ai)."""
    jhome, root, agent_home = base / "jupyter", base / "notebooks", base / "agent-home"
    for d in (jhome, root, agent_home):
        d.mkdir()
    (agent_home / "config.toml").write_text(
        f'model = "gpt-4.1"\nmodel_provider = "scripted"\napproval_policy = "untrusted"\n'
        f'[model_providers.scripted]\nname = "scripted"\nbase_url = "{scripted.url}"\n'
        f'wire_api = "responses"\nenv_key = "BROWSER_TEST_KEY"\n'
    )
    notification = jhome / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    bindir = str(Path(python).parent)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(jhome / "config"), "JUPYTER_DATA_DIR": str(jhome / "data"),
        "JUPYTER_RUNTIME_DIR": str(jhome / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(jhome / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(jhome / "workspaces"), "IPYTHONDIR": str(jhome / "ipython"),
        "KERNEL_AGENT_HOME": str(agent_home), "BROWSER_TEST_KEY": FAKE_KEY,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
    }
    env.pop("OPENAI_API_KEY", None)
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / log_name
    app_args = (["-m", "jupyterlab", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
                if app == "lab" else ["-m", "notebook"])
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [python, *app_args, "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
             f"--ServerApp.root_dir={root}"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log)
        yield Lab(url=url, root=root, agent_home=agent_home, scripted=scripted, app=app)
    finally:
        stop_group(proc, 15)


def stop_group(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM `proc`'s process group, SIGKILL it after `timeout` seconds."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, scripted: ScriptedServer) -> Iterator[Lab]:
    yield from _serve(tmp_path_factory.mktemp("lab"), scripted, "lab", "jupyter-server.log")


@pytest.fixture(scope="session")
def notebook7(tmp_path_factory: pytest.TempPathFactory, scripted: ScriptedServer) -> Iterator[Lab]:
    try:
        import notebook  # noqa: F401 - Notebook 7 is the `notebook` package
    except ImportError:
        _unavailable("Notebook 7 is not installed (pip install -e '.[test]')")
    yield from _serve(tmp_path_factory.mktemp("nb7"), scripted, "notebook", "notebook7-server.log")


@pytest.fixture(autouse=True)
def _fresh_script(request: pytest.FixtureRequest) -> Iterator[None]:
    """Replies a failed test left queued on the shared server must not answer the next test."""
    if "lab" in request.fixturenames or "notebook7" in request.fixturenames:
        request.getfixturevalue("scripted").clear()
    yield


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(20_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda msg: errors.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None)
    pg.on("pageerror", lambda err: errors.append(f"pageerror: {err}"))
    try:
        yield pg
    finally:
        name = request.node.name
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{name}-teardown.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a failed teardown screenshot must not hide the test's result
            pass
        (ARTIFACTS / f"{name}-console.txt").write_text("\n".join(errors) + ("\n" if errors else ""))
        context.close()
