"""Extension load and first turn: `%load_ext agent` (and the first `%%agent` turn) vs `%load_ext jupyter_ai_magics`.

Each sample is a fresh kernel (jupyter_client + ipykernel) that times `%load_ext NAME`
inside the kernel (perf_counter) and reports how much its peak RSS (ru_maxrss) and its
module count grew. Loading the agent defers most imports to the first `%%agent` turn, so
for the agent the same kernel then runs two `%%agent --wait` turns against the project's
scripted model server on loopback, each timed from the client (execute request to idle):
the first turn carries the deferred imports and the session start, the second is the
turn alone. Samples of the two extensions alternate, and the medians are shown.

Both run in the same interpreter and venv, created on first use under the user cache
directory (`$XDG_CACHE_HOME/kernel-agent/bench/venv-jupyter-ai`, default `~/.cache/...`;
`pip install jupyter-ai-magics ipython -e <this project>`, about 1-2 minutes, ~370 MB) and
reused afterwards; jupyter-ai-magics drags in langchain, so it never goes into the
project's own venv. If that venv cannot be created, only the agent figures are shown,
measured with the project's venv.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .kernel_harness import scripted_server, write_home
from .report import row

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = 5
ANSWER = "bench-first-turn-answer"
TURNS_PER_KERNEL = 2

# Run by the measured venv's Python: one fresh kernel per sample, one JSON line per sample.
DRIVER = r"""
import json, os, queue, sys, tempfile, time
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
TURN = "%%agent --wait\nSay the bench word.\n"  # the answer is not in the prompt

def execute(kc, code, timeout=120):
    '''(seconds from request to idle, stream text, error, every iopub content as JSON)'''
    started = time.perf_counter()
    msg_id = kc.execute(code)
    out, err, seen = "", "", []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        seen.append(json.dumps(msg["content"]))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out += msg["content"]["text"]
        elif msg["msg_type"] == "error":
            err = msg["content"]["ename"] + ": " + msg["content"]["evalue"]
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return time.perf_counter() - started, out, err, seen

def answer_shown(kc, seen, marker, timeout=10):
    '''Whether the answer reached the front end (late widget messages are drained).'''
    deadline = time.perf_counter() + timeout
    while not any(marker in text for text in seen):
        if time.perf_counter() > deadline:
            return False
        try:
            seen.append(json.dumps(kc.get_iopub_msg(timeout=0.2)["content"]))
        except queue.Empty:
            pass
    return True

def turns(kc, answer, n):
    times = []
    for _ in range(n):
        seconds, out, err, seen = execute(kc, TURN)
        if err or not answer_shown(kc, seen, answer):
            return {"error": "%%agent turn failed: " + (err or out[-300:] or "the answer never showed")}
        times.append(seconds)
    return {"turns": times}

def sample(name, cwd, answer, n_turns):
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=cwd, env=dict(os.environ))
    kc = km.client(); kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        _, out, err, _ = execute(kc, CELL % name)
        result = next((json.loads(line[6:]) for line in out.splitlines() if line.startswith("RESULT")), None)
        if result is None:
            return {"name": name, "error": err or out[-500:]}
        if name == "agent":
            result.update(turns(kc, answer, n_turns))
        return {"name": name, **result}
    finally:
        kc.stop_channels(); km.shutdown_kernel(now=True)

names, n, answer, n_turns = sys.argv[1].split(","), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
with tempfile.TemporaryDirectory() as cwd:
    sample(names[0], cwd, answer, n_turns)  # warm the OS file cache once; not counted
    for _ in range(n):
        for name in names:
            print(json.dumps(sample(name, cwd, answer, n_turns)), flush=True)
"""


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/kernel-agent/bench` (default `~/.cache/...`): outside the checkout."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kernel-agent" / "bench"


def ensure_venv() -> tuple[Path | None, str]:
    """The bench venv's python (created on first use), or None and why not."""
    venv = cache_dir() / "venv-jupyter-ai"
    python, ready = venv / "bin" / "python", venv / ".ready"
    if ready.exists() and python.exists():
        return python, ""
    print(f"   creating {venv} (once; jupyter-ai-magics + langchain, 1-2 min)...", flush=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    log = venv.parent / "venv-jupyter-ai.log"
    started = time.perf_counter()
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
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
    ready.write_text("ok\n")
    log.unlink(missing_ok=True)
    print(f"   created in {time.perf_counter() - started:.0f}s", flush=True)
    return python, ""


def _measure(python: Path, names: list[str]) -> dict[str, list[dict]]:
    replies = [{"text": ANSWER}] * (TURNS_PER_KERNEL * (SAMPLES + 1) + 2)
    with tempfile.TemporaryDirectory() as tmp, scripted_server(Path(tmp), replies) as url:
        env = {**os.environ, **write_home(Path(tmp) / "home", url)}
        result = subprocess.run([str(python), "-c", DRIVER, ",".join(names), str(SAMPLES), ANSWER, str(TURNS_PER_KERNEL)],
                                capture_output=True, text=True, check=False, cwd=tmp, env=env)
    samples: dict[str, list[dict]] = {name: [] for name in names}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            sample = json.loads(line)
            samples[sample["name"]].append(sample)
    if result.returncode != 0:
        print(f"   driver failed (exit {result.returncode}): {result.stderr.strip().splitlines()[-1:]}")
    return samples


def _good(samples: list[dict], what: str) -> list[dict]:
    good = [s for s in samples if "error" not in s]
    if not good:
        raise RuntimeError(f"{what} failed: {samples[0]['error'] if samples else 'no samples'}")
    return good


def _load_rows(label: str, good: list[dict], baseline: list[dict] | None = None) -> float:
    load = statistics.median(s["s"] for s in good)
    mib = statistics.median(s["maxrss_kib"] for s in good) / 1024
    base = statistics.median(s["s"] for s in baseline) if baseline else None
    base_mib = statistics.median(s["maxrss_kib"] for s in baseline) / 1024 if baseline else None
    row(f"{label} (n={len(good)})", f"{load * 1000:.1f} ms", load / base if base else None)
    row("  peak RSS growth / modules imported", f"{mib:.1f} MiB / {int(statistics.median(s['modules'] for s in good))}",
        mib / base_mib if base_mib else None)
    return load


def _turn_rows(good: list[dict], baseline_load: float | None) -> None:
    first = statistics.median(s["turns"][0] for s in good)
    second = statistics.median(s["turns"][1] for s in good)
    total = statistics.median(s["s"] + s["turns"][0] for s in good)
    row("second %%agent turn, same kernel (the turn alone)", f"{second * 1000:.0f} ms")
    row("first %%agent turn (deferred imports + session)", f"{first * 1000:.0f} ms", first / second, "second turn")
    row("%load_ext agent + first turn", f"{total * 1000:.0f} ms",
        total / baseline_load if baseline_load else None, "jupyter_ai load")


def run() -> None:
    python, why = ensure_venv()
    names = ["agent", "jupyter_ai_magics"]
    if python is None:
        print(f"   jupyter_ai_magics NOT measured: could not create the bench venv: {why}")
        python, names = ROOT / ".venv" / "bin" / "python", ["agent"]
        if not python.exists():
            python = Path(sys.executable)
    samples = _measure(python, names)
    agent = _good(samples["agent"], "%load_ext agent + %%agent turns")
    jai = [s for s in samples.get("jupyter_ai_magics", []) if "error" not in s]
    if len(names) > 1 and not jai:
        print(f"   %load_ext jupyter_ai_magics failed: {samples['jupyter_ai_magics'][:1]}")
    jai_load = _load_rows("%load_ext jupyter_ai_magics (baseline)", jai) if jai else None
    load = _load_rows("%load_ext agent", agent, jai or None)
    _turn_rows(agent, jai_load)
    if jai_load:
        row("speed-up of the load: jupyter_ai_magics / agent (target >= 10)", f"{jai_load / load:.1f}x")
