"""A real JupyterHub on loopback for the hub tests (tests/hub/test_hub_browser.py).

- `chp_command` (session): configurable-http-proxy from npm, a pinned release installed once
  into ~/.cache/kernel-agent/test-npm (`npm install --prefix`, as tests/tools/mcp does).
- `hub` (session): `jupyterhub` from this checkout's .venv, run as a subprocess in its own
  process group: hub, proxy API and public ports are free ports on 127.0.0.1; the dummy
  authenticator with a shared password; `SimpleLocalProcessSpawner` (user servers run as the
  current unix user, root included: `--allow-root`) with a home per user under the tmp dir;
  the user servers are `.venv/bin/jupyterhub-singleuser` (JupyterLab with the side panel
  installed in .venv) opening /lab. The spawner environment gives each user their own
  `KERNEL_AGENT_HOME` (`<home>/.kernel-agent`, holding a config.toml with a provider of the
  user's OWN, pointed at a closed port) and the shared `KERNEL_AGENT_SYSTEM_DIR`, which
  this fixture fills: `managed_config.toml` (the `hub` provider: the scripted model server),
  `requirements.toml` (`allowed_approval_policies = ["untrusted", "on-request"]`) and
  `rules/team.rules` (`git push` is forbidden). The hub's log, with the user servers'
  output, goes to test-artifacts/hub/hub.log.

Teardown stops the hub (which stops the proxy and the user servers), then ends any process
still carrying this hub's marker variable in its environment (user servers, kernels, and
their children), by pid.

Without node/npm the suite skips locally and fails on CI (`CI` set).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.conftest import _free_port, _wait_ready, stop_group
from tests.browser.conftest import _unavailable as browser_unavailable
from tests.scripted_server import ScriptedServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "hub"
VENV_BIN = Path(sys.executable).parent
NPM_CACHE = Path.home() / ".cache" / "kernel-agent" / "test-npm"
CHP_PACKAGE = "configurable-http-proxy"
CHP_VERSION = "5.3.0"
PASSWORD = "hub-test-password"
USERS = ("alice", "bob")
HUB_KEY = "sk-hub-managed-0123456789abcdef"
"""The key the managed provider reads (from `HUB_MODEL_KEY`, set in the spawner environment)."""
OWN_KEY = "sk-user-own-0123456789abcdef"
MARKER = "KERNEL_AGENT_HUB_TEST"
"""Set in the hub's and every user server's environment; teardown ends what still carries it."""
TEAM_RULE = 'prefix_rule(pattern=["git", "push"], decision="forbidden", justification="Use the review flow")\n'


def _unavailable(reason: str) -> None:
    browser_unavailable(reason, "the JupyterHub tests")


@dataclass
class HubUser:
    """One hub user: their home (the server's root and the kernels' cwd) and agent home."""

    name: str
    hub_url: str
    home: Path

    @property
    def agent_home(self) -> Path:
        return self.home / ".kernel-agent"

    @property
    def root(self) -> Path:
        return self.home

    @property
    def url(self) -> str:
        return f"{self.hub_url}/user/{self.name}"

    def notebook(self, name: str, cells: list[str]) -> str:
        """Write a notebook of code cells into the user's home; the URL that opens it in /lab
        (the same contract as tests/browser's `Lab.notebook`, so its helpers take a HubUser)."""
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nbformat.write(nb, self.home / name)
        return f"{self.url}/lab/tree/{name}?reset"


@dataclass
class Hub:
    url: str
    system_dir: Path
    scripted: ScriptedServer
    users: dict[str, HubUser]
    log: Path


@pytest.fixture(scope="session")
def chp_command() -> list[str]:
    """[node, <configurable-http-proxy's bin script>] of the pinned release (npm install once)."""
    script = NPM_CACHE / "node_modules" / CHP_PACKAGE / "bin" / "configurable-http-proxy"
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        _unavailable("node and npm are needed to install configurable-http-proxy")
    if _installed_version(CHP_PACKAGE) != CHP_VERSION or not script.is_file():
        NPM_CACHE.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(NPM_CACHE),
                               f"{CHP_PACKAGE}@{CHP_VERSION}"], capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not script.is_file():
            _unavailable(f"npm install failed: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}")
    return [node, str(script)]


def _installed_version(package: str) -> str | None:
    try:
        return json.loads((NPM_CACHE / "node_modules" / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="session")
def hub_scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


def _fill_system_dir(system: Path, scripted: ScriptedServer) -> None:
    """The admin's folder: the managed provider, the requirements, a team rule."""
    (system / "rules").mkdir(parents=True)
    (system / "managed_config.toml").write_text(
        'model_provider = "hub"\n'
        '[model_providers.hub]\nname = "Hub models"\n'
        f'base_url = "{scripted.url}"\nwire_api = "responses"\nenv_key = "HUB_MODEL_KEY"\n'
    )
    (system / "requirements.toml").write_text('allowed_approval_policies = ["untrusted", "on-request"]\n')
    (system / "rules" / "team.rules").write_text(TEAM_RULE)


def _prepare_home(home: Path, closed_port: int) -> None:
    """A user's home before their first spawn: their own agent config (a provider table of
    their own, `mine`, on a closed port: if it were used, no request would reach the scripted
    server; the test of the managed provider selects it) and JupyterLab settings with the
    news toast off."""
    agent_home = home / ".kernel-agent"
    agent_home.mkdir(parents=True)
    (agent_home / "config.toml").write_text(
        'model = "gpt-4.1"\napproval_policy = "untrusted"\n'
        f'[model_providers.mine]\nname = "mine"\nbase_url = "http://127.0.0.1:{closed_port}/v1"\n'
        'wire_api = "responses"\nenv_key = "USER_OWN_KEY"\n'
    )
    notification = home / ".jupyter-test" / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def _hub_config(base: Path, ports: dict[str, int], system: Path, chp: list[str]) -> str:
    homes = base / "homes"
    path = str(VENV_BIN) + os.pathsep + os.environ.get("PATH", "")
    return f'''# written by tests/hub/conftest.py
import os

HOMES = {str(homes)!r}


def _in_home(*parts):
    return lambda spawner: os.path.join(HOMES, spawner.user.name, *parts)


c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{ports['public']}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{ports['hub']}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports['api']}"
c.ConfigurableHTTPProxy.command = {chp!r}
c.ConfigurableHTTPProxy.pid_file = {str(base / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{base / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(base / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(base / "hub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
c.Authenticator.allowed_users = {set(USERS)!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(HOMES, "{{username}}")
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [{str(VENV_BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = ["--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {{
    "PATH": {path!r},
    "KERNEL_AGENT_SYSTEM_DIR": {str(system)!r},
    "KERNEL_AGENT_HOME": _in_home(".kernel-agent"),
    "JUPYTER_CONFIG_DIR": _in_home(".jupyter-test", "config"),
    "JUPYTER_DATA_DIR": _in_home(".jupyter-test", "data"),
    "JUPYTER_RUNTIME_DIR": _in_home(".jupyter-test", "runtime"),
    "JUPYTERLAB_SETTINGS_DIR": _in_home(".jupyter-test", "settings"),
    "JUPYTERLAB_WORKSPACES_DIR": _in_home(".jupyter-test", "workspaces"),
    "IPYTHONDIR": _in_home(".jupyter-test", "ipython"),
    "HUB_MODEL_KEY": {HUB_KEY!r},
    "USER_OWN_KEY": {OWN_KEY!r},
    {MARKER!r}: {str(base)!r},
}}
'''


def _marked_pids(value: str) -> list[int]:
    """Processes whose environment holds MARKER=value (what this hub started, transitively)."""
    needle = f"{MARKER}={value}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _stop(proc: subprocess.Popen, base: Path) -> None:
    stop_group(proc, 30)  # the hub stops the proxy and the user servers
    for pid in _marked_pids(str(base)):  # user servers and kernels live in their own sessions
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory, hub_scripted: ScriptedServer, chp_command: list[str]) -> Iterator[Hub]:
    base = tmp_path_factory.mktemp("hub")
    system = base / "system"
    _fill_system_dir(system, hub_scripted)
    ports = {"public": _free_port(), "hub": _free_port(), "api": _free_port()}
    users = {name: HubUser(name, f"http://127.0.0.1:{ports['public']}", base / "homes" / name) for name in USERS}
    closed_port = _free_port()
    for user in users.values():
        _prepare_home(user.home, closed_port)
    config = base / "jupyterhub_config.py"
    config.write_text(_hub_config(base, ports, system, chp_command))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in ARTIFACTS.glob("*.png"):  # the screenshots are this run's
        stale.unlink()
    log = ARTIFACTS / "hub.log"
    env = {**os.environ, MARKER: str(base), "CONFIGPROXY_AUTH_TOKEN": os.urandom(16).hex(),
           "PATH": str(VENV_BIN) + os.pathsep + os.environ.get("PATH", "")}
    env.pop("OPENAI_API_KEY", None)
    with open(log, "w") as out:
        proc = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(config)], cwd=base, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{ports['public']}"
    try:
        _wait_ready(url, proc, log, 90, path="/hub/health", what="jupyterhub")
        yield Hub(url=url, system_dir=system, scripted=hub_scripted, users=users, log=log)
    finally:
        _stop(proc, base)
