"""Network on must not mean kernel takeover (issue 9, item 3).

Invariant: with `sandbox_workspace_write.network_access = true`, a sandboxed command can't
control this kernel or any other Jupyter kernel or server of the user: it can't read a
connection file or server token (hidden under bubblewrap), never finds a kernel key in
its environment, can't read the kernel's /proc entries, and on Landlock — which can't hide
them — gets no network at all (said at session start and in `%agent status`). Control:
under bubblewrap the command still reaches a loopback HTTP server.
"""

from __future__ import annotations

import http.server
import json
import os
import sys
import threading
from pathlib import Path

import pytest

from agent.exec.env import command_env
from agent.exec.hidden import jupyter_secrets
from agent.exec.runner import run_command
from agent.exec.sandbox import FORCE_ENV, LANDLOCK_NETWORK_REFUSED, probe_mechanism, sandboxed_argv
from agent.protocol.policy import WorkspaceWrite
from tests.exec.conftest import sandbox_info
from tests.kernel.conftest import kernel_env, write_config
from tests.kernel.harness import Kernel
from tests.scripted_server import Reply, ToolCall

NETWORK_ON = WorkspaceWrite(network_access=True)

ATTACK = r"""
import json, os, sys, urllib.request
conn, marker, url = sys.argv[1:4]
try:
    info = json.load(open(conn))
    print("READ connection file")
except OSError as err:
    print("read failed:", err.strerror)
    info = None
print("key in env:", any(info and info.get("key") and info["key"] in v for v in os.environ.values()))
if info:
    from jupyter_client import BlockingKernelClient
    try:
        kc = BlockingKernelClient()
        kc.load_connection_info(info)
        kc.start_channels()
        kc.execute_interactive(f"open({marker!r}, 'w').write('pwned')", timeout=5)
        print("EXECUTED in the kernel")
    except Exception as err:
        print("zmq failed:", type(err).__name__)
try:
    print("http:", urllib.request.urlopen(url, timeout=5).read().decode())
except OSError as err:
    print("http failed:", err)
"""


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"hello from loopback"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


@pytest.fixture(params=["bubblewrap", "landlock"])
def mech(request) -> str:
    sandbox_info(request.param)
    return request.param


def test_command_cannot_drive_the_kernel_over_zmq(mech, tmp_path, server, http_url):
    """A real kernel, a `%%agent` turn, network on: the command knows the connection
    file's path and tries to read it and run code in the kernel over ZMQ -> fails (the
    marker file is never written); control: loopback HTTP works under bubblewrap, and on
    Landlock the refusal is shown by `%agent status`."""
    work, home, marker = tmp_path / "work", tmp_path / "agent-home", tmp_path / "pwned"
    work.mkdir()
    write_config(home, server.url, extra='approval_policy = "never"\nsandbox_mode = "workspace-write"\n'
                                         "[sandbox_workspace_write]\nnetwork_access = true\n")
    env = {**kernel_env(home), FORCE_ENV: mech}
    kernel = Kernel(work, env).start()
    try:
        conn = kernel.km.connection_file
        script = work / "attack.py"
        script.write_text(ATTACK)
        command = [sys.executable, str(script), conn, str(marker), http_url]
        server.enqueue(Reply(tool_calls=[ToolCall("shell", {"command": command, "timeout_ms": 60_000}, "call_zmq")]),
                       Reply(text="done."))
        kernel.run("%load_ext agent")
        execution = kernel.run("%%agent\ntry it")
        view = kernel.wait_for_view(execution.msg_id)
        kernel.wait_for(lambda: view.phase == "done", timeout=90, what="the turn to end")
        output = next(b for b in view.of_kind("command"))
        text = json.dumps(output)
        status = kernel.run("%agent status").markdown()
    finally:
        kernel.stop()
    assert not marker.exists(), "a sandboxed command ran code in the kernel"
    assert "EXECUTED" not in text and "key in env: False" in text, text
    if mech == "bubblewrap":
        assert "read failed" in text and "READ connection file" not in text, text
        assert "hello from loopback" in text, text  # network really is on
        assert "hidden from commands" in status and conn in status
    else:  # the file is readable (a Landlock limit), so there is no network to use it
        assert "http failed" in text, text
        assert "network access is off under the Landlock sandbox" in status, status


def test_no_kernel_key_or_server_token_in_a_command_environment(tmp_path, monkeypatch):
    """Invariant: no environment variable holding a Jupyter kernel key or server token
    reaches a command, whatever its name (runtime files are scanned by jupyter_secrets);
    control: other variables pass."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    (runtime / "kernel-1.json").write_text(json.dumps({"key": "k3y-0f-an0ther-kernel", "shell_port": 1}))
    (runtime / "jpserver-2.json").write_text(json.dumps({"token": "serv3r-t0ken-value", "port": 8888}))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    base = {"LEAK": "x k3y-0f-an0ther-kernel y", "NAMED_INNOCENTLY": "serv3r-t0ken-value", "KEEP": "fine"}
    env = command_env(base, network_disabled=False, secret_values=jupyter_secrets(),
                      set={"FORCED": "serv3r-t0ken-value"})
    assert env == {"KEEP": "fine"}


async def test_landlock_command_cannot_read_the_kernel_process(tmp_path):
    """Invariant: Landlock's ptrace scoping keeps a sandboxed command out of the agent's
    /proc/<pid>/environ and mem (bubblewrap: a private PID namespace, see
    test_sandbox_hiding); control: the command reads its own /proc/self/status."""
    info = sandbox_info("landlock")
    code = (f"import sys\nfor name in ('environ', 'mem'):\n    try:\n        open('/proc/{os.getpid()}/' + name, 'rb')"
            ".read(64); print('READ', name)\n    except OSError as e: print('denied', name, e.errno)\n"
            "print('own', open('/proc/self/status').read().startswith('Name:'))")
    argv = sandboxed_argv([sys.executable, "-I", "-S", "-c", code], NETWORK_ON, tmp_path, os.environ, info)
    result = await run_command(argv, cwd=tmp_path, env=dict(os.environ), timeout_ms=30_000)
    assert "READ" not in result.stdout and result.stdout.count("denied") == 2, result.aggregated_output
    assert "own True" in result.stdout


def test_landlock_refuses_network_and_says_why(monkeypatch):
    """Invariant: the Landlock mechanism never gives a command network (it can't hide the
    keys); the reason is the text the session shows."""
    sandbox_info("landlock")
    argv = sandboxed_argv(["true"], NETWORK_ON, Path("/"), {}, probe_mechanism("landlock"))
    assert json.loads(argv[argv.index("--policy-json") + 1])["network"] is False
    assert "Jupyter connection files" in LANDLOCK_NETWORK_REFUSED


def test_unsigned_kernel_gets_no_network_on_any_mechanism(monkeypatch):
    """Invariant: when this kernel's connection file has an empty key (no HMAC), commands
    get no network even under bubblewrap; control: a signed kernel gets it."""
    from agent.exec import hidden, sandbox

    monkeypatch.setattr(hidden, "kernel_signs_messages", lambda: False)
    assert sandbox.network_refusal("bubblewrap") == sandbox.UNSIGNED_KERNEL_NETWORK_REFUSED
    info = sandbox_info("bubblewrap")
    assert "--unshare-net" in sandboxed_argv(["true"], NETWORK_ON, Path("/"), {}, info)
    monkeypatch.setattr(hidden, "kernel_signs_messages", lambda: True)
    assert sandbox.network_refusal("bubblewrap") is None
    assert "--unshare-net" not in sandboxed_argv(["true"], NETWORK_ON, Path("/"), {}, info)
