"""agent.exec.limits: the rlimit prefix, the launcher fallback, per-command cgroups."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from agent.exec import limits
from agent.exec.limits import DEFAULT_LIMITS, CommandCgroup, ResourceLimits, rlimit_prefix, rlimit_spec


def test_spec_and_prefix():
    assert rlimit_spec(ResourceLimits(10, 1, 2, 3)) == {"nproc": 10, "data": 1 << 20, "fsize": 2 << 20, "cpu": 3}
    assert rlimit_prefix(ResourceLimits(None, None, None, None)) == []
    if shutil.which("prlimit"):
        assert rlimit_prefix(ResourceLimits(7, None, None, None)) == [shutil.which("prlimit"), "--nproc=7", "--"]


def test_python_fallback_launcher_sets_the_limits_or_refuses(monkeypatch):
    """Without prlimit the file itself is the launcher; bad input exits 2, a missing
    command 127, and the limits are really set."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    prefix = rlimit_prefix(ResourceLimits(64, 512, 3, None))
    assert prefix[:4] == [sys.executable, "-I", "-S", limits.RLIMITS_PATH]
    done = subprocess.run([*prefix, "sh", "-c", "ulimit -d; ulimit -f"], capture_output=True, text=True)
    assert done.stdout.split() == [str(512 * 1024), str(3 * 2048)], done.stderr
    assert subprocess.run([*prefix, "no-such-cmd-xyz"], capture_output=True).returncode == 127
    assert subprocess.run([sys.executable, limits.RLIMITS_PATH, "oops"], capture_output=True).returncode == 2


def test_command_cgroup_is_created_limited_and_removed_with_its_leftovers():
    """Where a cgroup is writable (root here), a command's cgroup gets pids.max and a
    memory limit, the join prefix moves the command in, and remove() kills leftovers."""
    group = CommandCgroup.create(ResourceLimits(33, 100, None, None))
    if group is None:
        pytest.skip("no writable pids/memory cgroup on this machine (normal for non-root)")
    try:
        pids_dir = next(d for d in group.dirs if (d / "pids.max").exists())
        assert (pids_dir / "pids.max").read_text().strip() == "33"
        proc = subprocess.Popen([*group.join_prefix(), "sleep", "30"], start_new_session=True)
        for _ in range(100):
            if str(proc.pid) in (pids_dir / "cgroup.procs").read_text().split():
                break
            subprocess.run(["sleep", "0.02"])
        assert str(proc.pid) in (pids_dir / "cgroup.procs").read_text().split()
    finally:
        group.remove()
    assert proc.wait(5) == -9 and not any(d.exists() for d in group.dirs + [pids_dir])


def test_launcher_accepts_limits_and_rejects_bad_ones(tmp_path):
    from agent.exec.landlock_launcher import parse_args

    policy, argv = parse_args(["--policy-json", json.dumps({"writable_roots": [], "network": False,
                                                            "rlimits": {"nproc": 5}}), "--", "ls"])
    assert policy["rlimits"] == {"nproc": 5} and policy["cgroup_procs"] == [] and argv == ["ls"]
    for bad in [{"rlimits": {"nproc": -1}}, {"rlimits": {"stack": 1}}, {"cgroup_procs": ["rel"]}, {"other": 1}]:
        with pytest.raises(ValueError):
            parse_args(["--policy-json", json.dumps({"writable_roots": [], "network": False, **bad}), "--", "ls"])


def test_defaults():
    assert DEFAULT_LIMITS == ResourceLimits(512, 2048, 2048, None) and DEFAULT_LIMITS.any()
    assert os.path.isabs(limits.RLIMITS_PATH)


def test_create_sweeps_the_empty_cgroups_of_dead_agents():
    """A `kill -9`ed agent leaves its command's cgroup behind; the next create removes it."""
    probe = CommandCgroup.create(ResourceLimits(1, None, None, None))
    if probe is None:
        pytest.skip("no writable pids cgroup on this machine (normal for non-root)")
    stale = probe.dirs[0].parent / "kernel-agent-4194304-1"  # above any pid_max: never alive
    probe.remove()
    stale.mkdir()
    CommandCgroup.create(ResourceLimits(1, None, None, None)).remove()
    assert not stale.exists()
