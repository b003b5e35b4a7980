"""`make run`: JupyterLab on a scratch copy of the notebooks (.run/), as root too, on PORT=,
without a browser with NO_BROWSER=1.

The dry run shows the command line `make run` would run; the real test runs exactly that
line (the Makefile's recipe, as `make -n` prints it) on a free port and talks to the server.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ".ci/run-lab"


def run_line(*variables: str) -> str:
    """The line of `make -n run VARIABLES` that starts JupyterLab."""
    dry = subprocess.run(["make", "-n", "run", *variables], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    [line] = [line for line in dry.stdout.splitlines() if LAUNCHER in line]
    return line


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def checkout_state() -> tuple[str, dict[str, str]]:
    """`git status` of notebooks/ and the digest of every file in it."""
    status = subprocess.run(["git", "status", "--porcelain", "notebooks"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((ROOT / "notebooks").iterdir())}
    return status, digests


def test_the_dry_run_takes_port_and_no_browser_and_allows_root():
    line = run_line("PORT=8899", "NO_BROWSER=1")
    args = shlex.split(line.split(LAUNCHER, 1)[1])
    assert "--port=8899 --no-browser" in line
    assert "--ServerApp.root_dir=.run" in args and args[-1] == ".run/quickstart.ipynb" and args[0] == ".run"
    assert ("--allow-root" in args) == (os.getuid() == 0)
    default = run_line()
    assert "--port=8888" in default and "--no-browser" not in default


def test_the_launcher_copies_the_notebooks_and_keeps_a_copy_in_progress(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "quickstart.ipynb").write_text("my progress")
    done = subprocess.run([str(ROOT / LAUNCHER), str(scratch), "echo", "--port=1"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=30, check=True)
    assert done.stdout == "lab --port=1\n"  # then it runs `JUPYTER lab ARGS`
    assert (scratch / "quickstart.ipynb").read_text() == "my progress"
    shipped = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in scratch.iterdir()) == shipped and "data-analysis.ipynb" in shipped
    assert (scratch / "data-analysis.ipynb").read_bytes() == (ROOT / "notebooks" / "data-analysis.ipynb").read_bytes()


def test_make_runs_recipe_serves_the_scratch_copy_and_leaves_the_checkout_clean(tmp_path):
    port, token = free_port(), "make-run-test-token"
    line = run_line(f"PORT={port}", "NO_BROWSER=1")
    had_run_dir = (ROOT / ".run").exists()
    before = checkout_state()
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(["bash", "-c", line], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "JUPYTER_TOKEN": token}, start_new_session=True)
    try:
        status = wait_for_status(server, port, token, tmp_path / "lab.log", timeout=90)
        assert "started" in status
        assert (ROOT / ".run" / "quickstart.ipynb").is_file()
        assert checkout_state() == before
        assert f"Serving notebooks from local directory: {ROOT / '.run'}" in (tmp_path / "lab.log").read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
        if not had_run_dir:  # leave the checkout as it was
            subprocess.run(["rm", "-rf", str(ROOT / ".run")], check=True)


def wait_for_status(server: subprocess.Popen, port: int, token: str, log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"})
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"`make run`'s command exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer GET /api/status within {timeout} s:\n{log.read_text()[-3000:]}")
