"""Extension load: `%load_ext agent` cold time and memory vs `%load_ext jupyter_ai_magics`, in fresh kernels.

Each sample is a fresh kernel (jupyter_client + ipykernel) that times `%load_ext NAME`
inside the kernel (perf_counter) and reports how much its peak RSS (ru_maxrss) and its
module count grew; samples of the two extensions alternate, and the medians are shown.
Both run in the same interpreter and venv, `bench/.venv-jupyter-ai/`, created on first use
(`pip install jupyter-ai-magics ipython -e <this project>`, about 1-2 minutes, ~370 MB) and
reused afterwards; jupyter-ai-magics drags in langchain, so it never goes into the
project's own venv. If that venv cannot be created, only the agent figure is shown,
measured with the project's venv.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .report import row

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / ".venv-jupyter-ai"
READY = VENV / ".ready"
SAMPLES = 5

# Run by the measured venv's Python: one fresh kernel per sample, one JSON line per sample.
DRIVER = r"""
import json, os, queue, sys, tempfile
from jupyter_client import KernelManager

CELL = '''
import json as _j, resource as _r, sys as _s, time as _t
_m0, _r0 = len(_s.modules), _r.getrusage(_r.RUSAGE_SELF).ru_maxrss
_t0 = _t.perf_counter()
get_ipython().run_line_magic("load_ext", %r)
_dt = _t.perf_counter() - _t0
print("RESULT" + _j.dumps({"s": _dt, "maxrss_kib": _r.getrusage(_r.RUSAGE_SELF).ru_maxrss - _r0,
                           "modules": len(_s.modules) - _m0}))
'''

def sample(name, cwd):
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=cwd, env={**os.environ, "KERNEL_AGENT_HOME": os.path.join(cwd, "home")})
    kc = km.client(); kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        msg_id = kc.execute(CELL % name)
        out, err = "", ""
        while True:
            msg = kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out += msg["content"]["text"]
            elif msg["msg_type"] == "error":
                err = msg["content"]["ename"] + ": " + msg["content"]["evalue"]
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        for line in out.splitlines():
            if line.startswith("RESULT"):
                return {"name": name, **json.loads(line[6:])}
        return {"name": name, "error": err or out[-500:]}
    finally:
        kc.stop_channels(); km.shutdown_kernel(now=True)

names, n = sys.argv[1].split(","), int(sys.argv[2])
with tempfile.TemporaryDirectory() as cwd:
    sample(names[0], cwd)  # warm the OS file cache once; not counted
    for _ in range(n):
        for name in names:
            print(json.dumps(sample(name, cwd)), flush=True)
"""


def ensure_venv() -> tuple[Path | None, str]:
    """The bench venv's python (created on first use), or None and why not."""
    python = VENV / "bin" / "python"
    if READY.exists() and python.exists():
        return python, ""
    print(f"   creating {VENV} (once; jupyter-ai-magics + langchain, 1-2 min)...", flush=True)
    log = ROOT / "bench" / ".venv-jupyter-ai.log"
    started = time.perf_counter()
    steps = [
        [sys.executable, "-m", "venv", str(VENV)],
        [str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"],
        [str(python), "-m", "pip", "install", "-q", "jupyter-ai-magics", "ipython", "-e", str(ROOT)],
    ]
    # Only `agent` has to be importable there: skip building the JupyterLab side panel (Node).
    env = {**os.environ, "HATCH_JUPYTER_BUILDER_SKIP_NPM": "1"}
    with open(log, "w") as out:
        for step in steps:
            result = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, check=False, env=env)
            if result.returncode != 0:
                tail = [line for line in log.read_text().splitlines() if "WARNING: Location" not in line]
                return None, f"`{' '.join(step[2:])}` failed (exit {result.returncode}); see {log}:\n      " + \
                    "\n      ".join(tail[-8:])
    READY.write_text("ok\n")
    log.unlink(missing_ok=True)
    print(f"   created in {time.perf_counter() - started:.0f}s", flush=True)
    return python, ""


def _measure(python: Path, names: list[str]) -> dict[str, list[dict]]:
    result = subprocess.run([str(python), "-c", DRIVER, ",".join(names), str(SAMPLES)],
                            capture_output=True, text=True, check=False, cwd=ROOT / "bench")
    samples: dict[str, list[dict]] = {name: [] for name in names}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            sample = json.loads(line)
            samples[sample["name"]].append(sample)
    if result.returncode != 0:
        print(f"   driver failed (exit {result.returncode}): {result.stderr.strip().splitlines()[-1:]}")
    return samples


def _summary(samples: list[dict]) -> tuple[float, float, int] | str:
    good = [s for s in samples if "error" not in s]
    if not good:
        return samples[0]["error"] if samples else "no samples"
    return (statistics.median(s["s"] for s in good), statistics.median(s["maxrss_kib"] for s in good) / 1024,
            int(statistics.median(s["modules"] for s in good)))


def run() -> None:
    python, why = ensure_venv()
    names = ["agent", "jupyter_ai_magics"]
    if python is None:
        print(f"   jupyter_ai_magics NOT measured: could not create the bench venv: {why}")
        python, names = ROOT / ".venv" / "bin" / "python", ["agent"]
        if not python.exists():
            python = Path(sys.executable)
    samples = _measure(python, names)
    agent = _summary(samples["agent"])
    if isinstance(agent, str):
        raise RuntimeError(f"%load_ext agent failed: {agent}")
    a_s, a_mib, a_mods = agent
    if len(names) == 1:
        row(f"%load_ext agent (median of {SAMPLES} kernels)", f"{a_s * 1000:.1f} ms")
        row("  peak RSS growth / modules imported", f"{a_mib:.1f} MiB / {a_mods}")
        return
    jai = _summary(samples["jupyter_ai_magics"])
    if isinstance(jai, str):
        print(f"   %load_ext jupyter_ai_magics failed: {jai}")
        row(f"%load_ext agent (median of {SAMPLES} kernels)", f"{a_s * 1000:.1f} ms")
        return
    j_s, j_mib, j_mods = jai
    row(f"%load_ext jupyter_ai_magics (baseline, n={SAMPLES})", f"{j_s * 1000:.0f} ms")
    row("  peak RSS growth / modules imported", f"{j_mib:.1f} MiB / {j_mods}")
    row(f"%load_ext agent (n={SAMPLES})", f"{a_s * 1000:.1f} ms", a_s / j_s)
    row("  peak RSS growth / modules imported", f"{a_mib:.1f} MiB / {a_mods}", a_mib / j_mib if j_mib else None)
    row("speed-up: jupyter_ai_magics / agent (target >= 10)", f"{j_s / a_s:.1f}x")
