"""`%agent log`: the audit of a saved notebook, read from its `kernel-agent` metadata."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from agent.frontends.notebook.notebook_log import LogError, audit, find_notebook

TURN = {
    "version": 1, "session_id": "sess-9", "model": "gpt-4.1", "provider": "scripted", "approval_policy": "untrusted",
    "sandbox": "workspace-write", "turn_id": "2", "started": "2026-12-03T15:00:01+00:00",
    "ended": "2026-12-03T15:00:09+00:00", "outcome": "completed",
    "tools": [{"call_id": "c1", "tool": "shell", "status": "failed", "argv": ["bash", "-lc", "pytest -q"], "exit_code": 1},
              {"call_id": "p1", "tool": "apply_patch", "status": "applied", "files": ["hello.py"], "auto_approved": False},
              {"call_id": "c2", "tool": "shell", "status": "declined", "argv": ["rm", "-rf", "build"]}],
    "approvals": [{"call_id": "p1", "tool": "apply_patch", "decision": "approved", "policy": "untrusted",
                   "time": "2026-12-03T15:00:05+00:00"},
                  {"call_id": "c2", "tool": "shell", "decision": "denied", "policy": "untrusted",
                   "time": "2026-12-03T15:00:07+00:00"}],
    "files": [{"path": "hello.py", "change": "added", "before_sha256": None, "after_sha256": "ab" * 32}],
    "token_usage": {"total_tokens": 1234},
}
EDIT = {"session_id": "sess-9", "turn_id": "2", "model": "gpt-4.1", "provider": "scripted",
        "action": "inserted", "time": "2026-12-03T15:00:06+00:00"}


def saved(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    plain = nbformat.v4.new_code_cell("1 + 1", execution_count=1)
    turn = nbformat.v4.new_code_cell("%%agent --wait\nfix the tests", execution_count=2, outputs=[
        nbformat.v4.new_output("display_data", data={"text/plain": "transcript"}, metadata={"kernel-agent": TURN})])
    edited = nbformat.v4.new_code_cell("print('added by the agent')", metadata={"kernel-agent": EDIT})
    nb.cells = [plain, turn, edited]
    path = tmp_path / "analysis.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_audit_lists_each_turn_and_each_edited_cell(tmp_path):
    text = audit(saved(tmp_path))
    assert "#### Cell 2 (In [2]): agent turn, 2026-12-03 15:00:01 UTC, completed" in text
    assert "session `sess-9`, turn `2`; model `gpt-4.1` (scripted); approval policy untrusted" in text
    assert "shell `bash -lc 'pytest -q'` → exit 1" in text
    assert "apply_patch `hello.py` → applied" in text and "shell `rm -rf build` → declined" in text
    assert "apply_patch `p1`: **approved** (policy untrusted, 2026-12-03 15:00:05 UTC)" in text
    assert "shell `c2`: **denied**" in text
    assert "`hello.py` added, sha256 none → `abababababab`" in text
    assert "#### Cell 3: inserted by the agent, 2026-12-03 15:00:06 UTC" in text
    assert "Cell 1" not in text


def test_absent_unknown_or_broken_notebooks_get_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LogError, match="does not know its notebook's path"):
        find_notebook(None, None)
    with pytest.raises(LogError, match="No saved notebook at .* Save the notebook first"):
        find_notebook(None, str(tmp_path / "Untitled.ipynb"))
    (tmp_path / "broken.ipynb").write_text("{not json")
    with pytest.raises(LogError, match="is not a readable notebook"):
        audit(find_notebook(str(tmp_path / "broken.ipynb"), None))
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")]), tmp_path / "plain.ipynb")
    assert audit(find_notebook("plain.ipynb", None)).startswith("No agent turns or agent-edited cells in the saved")


def test_a_served_path_relative_to_the_server_root_is_found_beside_the_kernel(tmp_path, monkeypatch):
    path = saved(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert find_notebook(None, "projects/x/analysis.ipynb") == path


def test_metadata_strings_cannot_break_out_of_code_spans(tmp_path):
    nb = nbformat.v4.new_notebook()
    record = {**TURN, "tools": [{"call_id": "c1", "tool": "shell", "status": "ok", "argv": ["echo", "`x`"], "exit_code": 0}]}
    nb.cells = [nbformat.v4.new_code_cell("%%agent", outputs=[
        nbformat.v4.new_output("display_data", data={"text/plain": "t"}, metadata={"kernel-agent": record})])]
    nbformat.write(nb, tmp_path / "n.ipynb")
    assert "shell `` echo '`x`' `` → exit 0" in audit(tmp_path / "n.ipynb")
