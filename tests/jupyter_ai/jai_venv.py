"""A separate virtualenv with Jupyter AI 3 and this checkout (`kernel-agent[jupyter-ai,lab]`).

Jupyter AI replaces parts of JupyterLab (its chat, its document handling), so it is not
installed into `.venv`, where the other browser tests need a plain JupyterLab. The venv is
made on first use under `$XDG_CACHE_HOME/kernel-agent/` (default `~/.cache`), keyed by
this checkout's path and the `jupyter-ai` extra, and reused afterwards (~1-2 min once).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _extra_spec() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    found = re.search(r"^jupyter-ai = \[.*\]$", text, re.M)
    if found is None:
        raise RuntimeError("pyproject.toml has no `jupyter-ai` extra")
    return found.group(0)


def venv_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    key = hashlib.sha256(f"{ROOT}\n{_extra_spec()}".encode()).hexdigest()[:12]
    return Path(base) / "kernel-agent" / f"test-venv-jupyter-ai-{key}"


def ensure_venv() -> Path:
    """The venv's bin folder, created on first use; RuntimeError with the pip log's tail on failure."""
    venv = venv_dir()
    ready = venv / ".ready"
    if ready.exists():
        return venv / "bin"
    python = venv / "bin" / "python"
    venv.parent.mkdir(parents=True, exist_ok=True)
    log = venv.parent / (venv.name + ".log")
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"],
        [str(python), "-m", "pip", "install", "-q", "-e", f"{ROOT}[jupyter-ai,lab]"],
    ]
    # The side panel's build is not needed there (only the persona and the CLI are).
    env = {**os.environ, "HATCH_JUPYTER_BUILDER_SKIP_NPM": "1"}
    with open(log, "w") as out:
        for step in steps:
            result = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, check=False, env=env)
            if result.returncode != 0:
                tail = [line for line in log.read_text().splitlines() if "WARNING: Location" not in line]
                raise RuntimeError(f"{' '.join(step[2:])} failed (exit {result.returncode}):\n" + "\n".join(tail[-12:]))
    ready.write_text("ok\n")
    return venv / "bin"


if __name__ == "__main__":
    print(ensure_venv())
