"""The kernel-aware tools through a real turn: the model sees the notebook's variables and error."""

from __future__ import annotations

from tests.scripted_server import Reply, ToolCall

from .helpers import outputs


def test_kernel_variables_and_last_error_reach_the_model(kernel, server):
    kernel.run("import pandas as pd\n"
               "sales = pd.DataFrame({'region': ['north', 'south'], 'units': [3, 5], 'price': ['1.50', '2.25']})")
    failed = kernel.run("sales['revenue'] = sales['units'] * sales['price'].astype(float).round(1) + sales['discount']", ok=False)
    assert failed.reply["content"]["ename"] == "KeyError"

    server.enqueue(
        Reply(tool_calls=[ToolCall("kernel_variables", {"name": "sales"}, "call_vars"), ToolCall("last_error", {}, "call_err")]),
        Reply(tool_calls=[ToolCall("kernel_variables", {}, "call_list")]),
        Reply(text="`sales` has no `discount` column; drop that term."),
    )
    execution = kernel.run("%%agent --wait\nexplain this error", timeout=30)
    view = kernel.views(execution.msg_id)[0]
    assert view.phase == "done"

    seen = outputs(server.requests[1])
    schema = seen["call_vars"]
    assert "shape: 2 rows x 3 columns" in schema
    assert "region: object" in schema or "region: str" in schema
    assert "units: int64" in schema and "price:" in schema
    error = seen["call_err"]
    assert "KeyError" in error and "discount" in error and "sales['discount']" in error
    listing = outputs(server.requests[2])["call_list"]
    assert "sales" in listing and "DataFrame" in listing and "pd" not in listing.split()

    tools = [b for b in view.blocks if b["kind"] == "tool"]
    assert [t["name"] for t in tools] == ["kernel_variables", "last_error", "kernel_variables"]
    assert all(t["status"] == "ok" for t in tools)
    assert "drop that term" in execution.markdown()
