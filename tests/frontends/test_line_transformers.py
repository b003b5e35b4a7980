"""The input transformers `%load_ext agent` installs in a kernel (frontends/notebook/extension.py)."""

from __future__ import annotations

from agent.frontends.notebook.extension import awaited_line_transformer, wait_transformer

REGISTRY = "get_ipython().magics_manager.registry['AgentMagics']"


def test_undo_and_diff_lines_are_awaited_in_their_own_cell():
    """Their message must land in their cell: a front end drops outputs that arrive after it finished."""
    assert awaited_line_transformer(["%agent undo\n"]) == [f"await {REGISTRY}.run_line_async('undo')\n"]
    assert awaited_line_transformer(["x = 1\n", "%agent diff 2\n", "print(x)\n"]) == [
        "x = 1\n", f"await {REGISTRY}.run_line_async('diff 2')\n", "print(x)\n"]


def test_other_lines_and_cell_magic_bodies_are_left_alone():
    for lines in (["%agent status\n"], ["%agent undone\n"], ["  %agent undo\n"], ["# %agent undo\n"],
                  ["%%agent\n", "%agent undo\n"], ["%%bash\n", "%agent diff\n"], []):
        assert awaited_line_transformer(list(lines)) == list(lines)
    assert wait_transformer(["%%agent\n", "%agent undo\n"]) == ["%%agent\n", "%agent undo\n"]
