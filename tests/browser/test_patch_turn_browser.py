"""A patch turn in the side panel, in a real JupyterLab (issue 11 item 3).

The scripted model sends two patches; the policy is `untrusted`, so each asks. Each patch is
one block: its diff once, the approval right under the diff. The first is approved for the
session (the button says what that covers), the second is denied and shrinks to a dimmed
"Patch rejected by user" block with its diff collapsed and no raw tool output. Screenshots:
test-artifacts/browser/panel-patch-turn-*.png.
"""

from __future__ import annotations

import pytest

from tests.scripted_server import Reply, ToolCall

from .conftest import Lab
from .test_panel_browser import PANEL, open_notebook, open_panel, send, shot, wait_state

pytestmark = pytest.mark.timeout(240)

PATCH_A = "*** Begin Patch\n*** Add File: notes/a.md\n+# A\n+- kept\n*** End Patch\n"
PATCH_B = "*** Begin Patch\n*** Add File: notes/b.md\n+# B\n+- declined\n*** End Patch\n"
DIFF_AFTER_BOX = """el => {
  const diff = el.querySelector('pre.jp-agent-lang-diff'), box = el.querySelector('.jp-agent-approval');
  return !!(diff && box && (diff.compareDocumentPosition(box) & Node.DOCUMENT_POSITION_FOLLOWING));
}"""


def test_a_patch_turn_shows_one_diff_with_its_approval_inline(page, lab: Lab):
    for name in ("a.md", "b.md"):
        (lab.root / "notes" / name).unlink(missing_ok=True)
    open_notebook(page, lab, "panel_patch_turn.ipynb", ["v = 5"])
    open_panel(page)
    lab.scripted.enqueue(Reply(tool_calls=[ToolCall("apply_patch", {"input": PATCH_A}, "call_pa")]),
                         Reply(tool_calls=[ToolCall("apply_patch", {"input": PATCH_B}, "call_pb")]),
                         Reply(text="Wrote notes/a.md; you declined notes/b.md."))
    send(page, "write two notes")
    blocks = page.locator(f"{PANEL} .jp-agent-blocks")
    first = blocks.locator(".jp-agent-patch-pending")
    first.wait_for()
    assert first.locator("pre.jp-agent-lang-diff").count() == 1 and first.evaluate(DIFF_AFTER_BOX)
    assert blocks.locator("pre.jp-agent-lang-diff").count() == 1  # not again in a separate approval box
    session = first.locator(".jp-agent-approval-pending button.jp-agent-btn-approved_for_session")
    assert session.inner_text() == "Approve for session"
    assert "this exact patch in this directory" in session.get_attribute("title")
    shot(page, "patch-turn-pending")
    session.click()

    second = blocks.locator(".jp-agent-patch-pending:has-text('notes/b.md')")
    second.wait_for()
    second.locator("button.jp-agent-btn-denied").click()
    wait_state(page, "done")
    assert (lab.root / "notes" / "a.md").read_text() == "# A\n- kept\n"
    assert not (lab.root / "notes" / "b.md").exists()

    applied = blocks.locator(".jp-agent-patch-applied")
    assert applied.count() == 1 and applied.locator("pre.jp-agent-lang-diff").count() == 1
    assert applied.locator(".jp-agent-verdict-approved_for_session").inner_text() == "Approved for this session"
    declined = blocks.locator(".jp-agent-patch-declined")
    assert declined.count() == 1
    assert declined.locator(".jp-agent-label").inner_text() == "Patch rejected by user"
    assert declined.locator("details").evaluate("d => d.open") is False
    assert declined.evaluate("el => getComputedStyle(el).opacity") < "1"
    assert blocks.locator(".jp-agent-tool").count() == 0  # no raw apply_patch output
    assert "patch rejected by user" not in blocks.inner_text()
    assert blocks.locator("pre.jp-agent-lang-diff").count() == 2  # one diff per patch
    shot(page, "patch-turn-done")
