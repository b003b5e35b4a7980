"""Upstream apply_patch conformance scenarios, run through the real `apply-patch` command.

Data: `<repo>/../shared/conformance/apply_patch/NNN_*/{input/,patch.txt,expected/}` (not
copied into the repo). Each scenario runs in a subprocess with a temp copy of `input/` as
cwd; the whole resulting tree (every file's bytes, every directory) must equal
`expected/`. Upstream checks only the tree; the README's table also says which scenarios
are errors, so exit codes (and the stderr texts the spec gives) are asserted too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.tools.patch.apply import PatchApplyError, apply_changes, compute_changes
from agent.tools.patch.parser import PatchParseError, parse_patch

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO.parent / "shared" / "conformance" / "apply_patch"

# The real CLI entry point, as `kernel-agent apply-patch` runs it.
HARNESS = "import sys; from agent.frontends.cli.main import main; sys.exit(main(sys.argv[1:]))"

# stderr for the error scenarios ({cwd} is the scenario's working directory)
EXPECTED_ERRORS = {
    "005_rejects_empty_patch": "No files were modified.\n",
    "006_rejects_missing_context": "Failed to find expected lines in modify.txt:\nmissing\n",
    "007_rejects_missing_file_delete": "Failed to delete file {cwd}/missing.txt\n",
    "008_rejects_empty_update_hunk": "Invalid patch hunk on line 2: Update file hunk for path 'foo.txt' is empty\n",
    "009_requires_existing_file_for_update":
        "Failed to read file to update {cwd}/missing.txt: No such file or directory (os error 2)\n",
    "012_delete_directory_fails": "Failed to delete file {cwd}/dir\n",
    "013_rejects_invalid_hunk_header":
        "Invalid patch hunk on line 2: '*** Frobnicate File: foo' is not a valid hunk header. Valid hunk headers: "
        "'*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'\n",
    "015_failure_after_partial_success_leaves_changes":
        "Failed to read file to update {cwd}/missing.txt: No such file or directory (os error 2)\n",
}


def scenario_names() -> list[str]:
    if not SCENARIOS.is_dir():
        return ["<missing scenarios folder>"]
    return sorted(p.name for p in SCENARIOS.iterdir() if p.is_dir() and p.name[:3].isdigit())


def snapshot(root: Path) -> tuple[dict[str, bytes], set[str]]:
    files: dict[str, bytes] = {}
    dirs: set[str] = set()
    if not root.is_dir():
        return files, dirs
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirs.update(str(rel / d) for d in dirnames)
        for name in filenames:
            files[str(rel / name)] = (Path(dirpath) / name).read_bytes()
    return files, dirs


def prepare(name: str, tmp_path: Path) -> tuple[Path, Path, str]:
    scenario = SCENARIOS / name
    assert scenario.is_dir(), f"conformance data missing: {SCENARIOS}"
    cwd = tmp_path / "cwd"
    if (scenario / "input").is_dir():
        shutil.copytree(scenario / "input", cwd)
    else:
        cwd.mkdir()
    return scenario, cwd, (scenario / "patch.txt").read_bytes().decode("utf-8")


def test_scenarios_folder_is_present():
    assert SCENARIOS.is_dir(), f"conformance data missing: {SCENARIOS}"
    assert len(scenario_names()) >= 23


@pytest.mark.parametrize("name", scenario_names())
def test_scenario_via_cli(name, tmp_path):
    scenario, cwd, patch = prepare(name, tmp_path)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-c", HARNESS, "apply-patch", patch], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert snapshot(cwd) == snapshot(scenario / "expected"), proc.stderr
    if name in EXPECTED_ERRORS:
        assert proc.returncode == 1
        assert proc.stdout == ""
        assert proc.stderr == EXPECTED_ERRORS[name].replace("{cwd}", str(cwd))
    else:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("Success. Updated the following files:\n")
        assert proc.stderr == ""


@pytest.mark.parametrize("name", scenario_names())
def test_scenario_via_verified_flow(name, tmp_path):
    """compute_changes + apply_changes: same trees, except that nothing is written on failure."""
    scenario, cwd, patch = prepare(name, tmp_path)
    before = snapshot(cwd)
    try:
        apply_changes(compute_changes(parse_patch(patch), cwd))
    except (PatchParseError, PatchApplyError):
        assert name in EXPECTED_ERRORS
        assert snapshot(cwd) == before  # scenario 015 included: the Add is not written
        return
    assert name not in EXPECTED_ERRORS
    assert snapshot(cwd) == snapshot(scenario / "expected")


def test_cli_reads_the_patch_from_stdin(tmp_path):
    patch = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n"
    proc = subprocess.run([sys.executable, "-c", HARNESS, "apply-patch"], cwd=tmp_path, input=patch,
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "Success. Updated the following files:\nA hello.txt\n", "")
    assert (tmp_path / "hello.txt").read_bytes() == b"hi\n"


def test_cli_without_a_patch_prints_usage(tmp_path):
    proc = subprocess.run([sys.executable, "-c", HARNESS, "apply-patch"], cwd=tmp_path, input="",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("Usage:")
    assert list(tmp_path.iterdir()) == []


def test_run_apply_patch_function(tmp_path):
    from agent.frontends.cli.apply_patch_cmd import run_apply_patch

    assert run_apply_patch("*** Begin Patch\n*** End Patch", tmp_path) == (1, "", "No files were modified.\n")
    assert run_apply_patch("nope", tmp_path) == (
        1, "", "Invalid patch: The first line of the patch must be '*** Begin Patch'\n")
    code, out, err = run_apply_patch("*** Begin Patch\n*** Add File: x\n+1\n*** Delete File: x\n*** End Patch", tmp_path)
    assert (code, out, err) == (0, "Success. Updated the following files:\nA x\nD x\n", "")
    assert list(tmp_path.iterdir()) == []
