"""The process runner without a sandbox: capture, live deltas, limits, timeouts, cancellation."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agent.exec.runner import DELTA_CHUNK, CommandStartError, HeadTailBuffer, run_command

from .conftest import live_sleepers, marker_seconds

ROOT = Path(__file__).resolve().parents[2]


async def sh(cmd: str, **kwargs):
    kwargs.setdefault("timeout_ms", 20_000)
    return await run_command(["sh", "-c", cmd], cwd=kwargs.pop("cwd", "/"), env=kwargs.pop("env", None), **kwargs)


def zombie_children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] == "Z" and fields[1] == me:
                found.append(int(entry))
    return found


async def test_stdout_stderr_and_interleaved_aggregate():
    result = await sh("echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; echo out2")
    assert result.exit_code == 0 and not result.timed_out
    assert (result.stdout, result.stderr) == ("out1\nout2\n", "err1\n")
    assert result.aggregated_output == "out1\nerr1\nout2\n"
    assert result.truncated_bytes == 0 and result.duration_s > 0.09


async def test_cwd_env_and_stdin_is_dev_null(tmp_path):
    result = await sh('pwd; echo "$ONLY"; cat; echo end', cwd=tmp_path, env={"ONLY": "yes", "PATH": os.defpath})
    assert result.stdout == f"{tmp_path}\nyes\nend\n"


async def test_exit_codes_and_signals():
    assert (await sh("exit 3")).exit_code == 3
    assert (await sh("kill -KILL $$")).exit_code == 128 + signal.SIGKILL
    with pytest.raises(FileNotFoundError):
        await run_command(["/nonexistent/program"], cwd="/", env=None, timeout_ms=1000)
    with pytest.raises(ValueError):
        await run_command([], cwd="/", env=None, timeout_ms=1000)


async def test_lossy_utf8_decoding():
    result = await sh(r"printf 'a\377b\n'")
    assert result.stdout == "a\ufffdb\n"


async def test_head_tail_capture_is_bounded():
    result = await sh("i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done", capture_bytes=1000)
    total = sum(len(f"line{i}\n") for i in range(2000))
    assert result.truncated_bytes == total - 1000
    assert result.stdout.startswith("line0\nline1\n")
    assert result.stdout.endswith("line1998\nline1999\n")
    assert f"[... {total - 1000} bytes omitted ...]" in result.stdout
    assert result.aggregated_output == result.stdout


def test_head_tail_buffer_unit():
    buf = HeadTailBuffer(10)
    for piece in [b"abc", b"defgh", b"ijklmnop", b"qrstuvwxyz"]:
        buf.feed(piece)
    assert buf.dropped == 16
    assert buf.text() == "abcde\n[... 16 bytes omitted ...]\nvwxyz"
    small = HeadTailBuffer(10)
    small.feed(b"0123456789")
    assert (small.text(), small.dropped) == ("0123456789", 0)
    split = HeadTailBuffer(6)
    split.feed("abéé".encode())  # the head/tail boundary falls inside the first é
    assert (split.text(), split.dropped) == ("abéé", 0)


async def test_live_deltas_async_in_order_and_chunked():
    seen: list[tuple[str, bytes]] = []

    async def on_output(stream: str, chunk: bytes) -> None:
        await asyncio.sleep(0)
        seen.append((stream, chunk))

    result = await sh("head -c 100000 /dev/zero | tr '\\0' a; echo; echo err >&2", on_output=on_output)
    assert all(len(chunk) <= DELTA_CHUNK for _, chunk in seen)
    out = b"".join(c for s, c in seen if s == "stdout")
    assert out == b"a" * 100000 + b"\n" and out.decode() == result.stdout
    assert b"".join(c for s, c in seen if s == "stderr") == b"err\n"


async def test_live_deltas_sync_callback_and_cap():
    count = 0

    def on_output(stream: str, chunk: bytes) -> None:
        nonlocal count
        count += 1

    result = await sh("head -c 200000000 /dev/zero", on_output=on_output)
    assert result.exit_code == 0
    assert count == 10_000
    limited = 0

    def small(stream: str, chunk: bytes) -> None:
        nonlocal limited
        limited += 1

    await sh("head -c 100000 /dev/zero", on_output=small, max_live_deltas=3)
    assert limited == 3


async def test_callback_error_kills_and_propagates():
    marker = marker_seconds()

    def boom(stream: str, chunk: bytes) -> None:
        raise RuntimeError("consumer failed")

    with pytest.raises(RuntimeError, match="consumer failed"):
        await sh(f"echo hi; sleep {marker}", on_output=boom)
    assert live_sleepers(marker) == []


async def test_timeout_kills_the_whole_group():
    marker = marker_seconds()
    started = time.monotonic()
    result = await sh(f"sleep {marker} & sleep {marker}; echo never", timeout_ms=300)
    assert (result.exit_code, result.timed_out) == (124, True)
    assert time.monotonic() - started < 2
    assert "never" not in result.stdout
    assert live_sleepers(marker) == []


async def test_background_grandchild_holding_pipe_does_not_hang():
    marker = marker_seconds()
    started = time.monotonic()
    result = await sh(f"echo started; sleep {marker} &", timeout_ms=60_000, drain_grace_s=0.5)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0 and result.stdout == "started\n"
    assert elapsed < 2.5, elapsed
    assert live_sleepers(marker) == []


async def test_output_written_after_exit_within_grace_is_kept():
    result = await sh("(sleep 0.2; echo late) & echo early", drain_grace_s=2)
    assert result.stdout == "early\nlate\n"


async def test_cancellation_kills_group_and_reaps():
    marker = marker_seconds()
    task = asyncio.ensure_future(sh(f"sleep {marker} & sleep {marker}"))
    deadline = time.monotonic() + 5
    while len(live_sleepers(marker)) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 1
    assert live_sleepers(marker) == []
    await asyncio.sleep(0.1)
    assert zombie_children() == []


async def test_no_zombies_after_many_runs():
    for _ in range(20):
        await sh("true")
    await asyncio.sleep(0.1)
    assert zombie_children() == []


RSS_PROBE = textwrap.dedent(
    """
    import asyncio, json, resource, sys
    from agent.exec.runner import run_command

    async def main(argv):
        await run_command(["true"], cwd="/", env=None, timeout_ms=10_000)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result = await run_command(argv, cwd="/", env=None, timeout_ms=300_000)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"delta_kib": after - before, "exit": result.exit_code,
                          "dropped": result.truncated_bytes, "kept": len(result.aggregated_output)}))

    asyncio.run(main(sys.argv[1:]))
    """
)


def test_one_gigabyte_of_output_keeps_parent_memory_bounded():
    """Measured in a subprocess, so this test process's own memory doesn't interfere."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "kernel_ext")}
    done = subprocess.run([sys.executable, "-c", RSS_PROBE, "head", "-c", "1000000000", "/dev/zero"],
                          capture_output=True, text=True, timeout=300, env=env, check=True)
    report = json.loads(done.stdout)
    assert report["exit"] == 0
    assert report["dropped"] == 1_000_000_000 - (1 << 20)
    assert report["delta_kib"] < 64 * 1024, report


# --- commands that cannot start: one clear line, a typed error, nothing run ---------------


@pytest.mark.parametrize(
    ("argv", "kw", "code", "message"),
    [
        (["echo", "a\0b"], {}, errno.EINVAL, "cannot run the command: an argument contains a NUL byte (\\0)"),
        (["echo", "\ud800"], {}, errno.EINVAL, "cannot run the command: an argument is not valid text (unpaired surrogate)"),
        (["echo", "x" * 10_000_000], {}, errno.E2BIG,
         "cannot run the command: argument list too long (an argument of 10000000 bytes; the limit is 131072 bytes per argument)"),
        (["no-such-program-kx"], {}, errno.ENOENT, "cannot run the command: no-such-program-kx: command not found"),
        (["{tmp}/plain.txt"], {}, errno.EACCES, "cannot run the command: {tmp}/plain.txt: permission denied"),
        (["echo"], {"cwd": "/no/such/dir"}, errno.ENOENT, "cannot run the command: working directory not found: /no/such/dir"),
        (["echo"], {"env": {"BAD": "a\0b"}}, errno.EINVAL, "cannot run the command: environment variable BAD contains a NUL byte (\\0)"),
    ],
    ids=["nul", "surrogate", "e2big-one-argument", "enoent", "eacces", "missing-cwd", "nul-in-env"],
)
async def test_a_command_that_cannot_start_raises_one_clear_line(argv, kw, code, message, tmp_path):
    """Invariant: bad argv/env/cwd never escapes as a ValueError or a bare OSError with a
    traceback: run_command raises CommandStartError (an OSError) whose str() is one line."""
    (tmp_path / "plain.txt").write_text("not a program\n")  # mode 0644: exec is refused, even to root
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    message = message.replace("{tmp}", str(tmp_path))
    with pytest.raises(CommandStartError) as info:
        await run_command(argv, cwd=kw.get("cwd", "/"), env=kw.get("env"), timeout_ms=5_000)
    assert info.value.errno == code
    assert str(info.value) == message and "\n" not in str(info.value)
    assert isinstance(info.value, FileNotFoundError) == (code == errno.ENOENT)


async def test_too_many_arguments_in_all_is_e2big_with_the_total():
    """Invariant: arguments each under the per-argument limit but too big together are
    reported with the total size and the system's limit."""
    with pytest.raises(CommandStartError) as info:
        await run_command(["echo", *["y" * 100_000] * 40], cwd="/", env={}, timeout_ms=5_000)
    assert info.value.errno == errno.E2BIG
    assert re.fullmatch(r"cannot run the command: argument list too long \(\d+ bytes of arguments and environment; "
                        r"the limit is \d+ bytes\)", str(info.value))


async def test_control_large_legal_arguments_and_unicode_still_run():
    """Control: a 100 KB argument and non-ASCII text are passed through untouched."""
    result = await run_command(["sh", "-c", 'printf %s "$1" | wc -c; printf %s "$2"', "sh", "z" * 100_000, "héllo ✓"],
                               cwd="/", env=None, timeout_ms=10_000)
    assert result.exit_code == 0
    assert result.stdout.split() == ["100000", "héllo", "✓"]
