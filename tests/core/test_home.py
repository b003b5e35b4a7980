"""The admin's system folder: named by the process environment, pinned at the first lookup."""

from __future__ import annotations

from pathlib import Path
def test_the_system_folder_named_by_the_process_environment_is_pinned(monkeypatch, tmp_path):
    from agent.core.home import system_dir

    first = system_dir()  # the process's folder (in tests: conftest's empty one)
    monkeypatch.setenv("KERNEL_AGENT_SYSTEM_DIR", str(tmp_path / "elsewhere"))  # attack: code in the kernel
    assert system_dir() == first and system_dir(None) == first
    given = {"KERNEL_AGENT_SYSTEM_DIR": str(tmp_path / "given")}  # control: an explicit env is read as given
    assert system_dir(given) == tmp_path / "given"
    assert system_dir({}) == Path("/etc/kernel-agent")
