"""Secrets in the user's kernel never reach the model verbatim (issue 9, hole 7), in a real
ipykernel driven through `%%agent` against the scripted model server."""

from __future__ import annotations

import json

from tests.scripted_server import Reply, ToolCall

from .conftest import write_config
from .helpers import outputs

OPENAI = "sk-proj-" + "Kx7Lm2Np9Qr4St6Uv1Wx3Yz8Ab5Cd0Ef" * 4
PASSWORD = "Tr0ub4dor&3-horse"
GITHUB = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def test_kernel_tools_mask_secrets_and_allow_what_the_user_allowed(make_kernel, home, server, work):
    """Invariant: kernel_variables, last_error, notebook_history and run_python never send
    the model an OpenAI key or a password held in the kernel; each output (and so the
    transcript's tool block) says what was masked and where, never the value. Control: a
    variable the user allowed in config (`kernel_variables_unmasked`) and ordinary
    variables reach the model as they are."""
    write_config(home, server.url, extra='approval_policy = "never"\nsandbox_mode = "danger-full-access"\n'
                                          'kernel_variables_unmasked = ["token_count"]')
    kernel = make_kernel(notebook=str(work / "analysis.ipynb"))
    kernel.run("%load_ext agent")
    kernel.run(f"cfg = {{'model': 'gpt-5', 'openai_api_key': {OPENAI!r}}}\n"
               f"db_password = {PASSWORD!r}\n"
               "token_count = 'tok-budget-4096'\n"
               f"services = {{'github': {GITHUB!r}}}\n"
               "rows = 1234")
    kernel.run("def connect(password, retries):\n"
               "    raise ConnectionError('login refused for ' + cfg['openai_api_key'])\n"
               "connect(db_password, 3)", ok=False)
    server.enqueue(
        Reply(tool_calls=[ToolCall("kernel_variables", {}, "list"), ToolCall("kernel_variables", {"name": "cfg"}, "cfg"),
                          ToolCall("kernel_variables", {"name": "token_count"}, "allowed"), ToolCall("last_error", {}, "err"),
                          ToolCall("notebook_history", {}, "hist")]),
        Reply(tool_calls=[ToolCall("run_python", {"code": "print(cfg['openai_api_key'], services['github'])\ndb_password"}, "run")]),
        Reply(text="done"),
    )
    execution = kernel.run("%%agent --wait\nwhy does connect fail?", timeout=60)
    view = kernel.views(execution.msg_id)[0]
    assert view.phase == "done"

    sent = "\n".join(json.dumps(r.json) for r in server.requests)
    for secret in (OPENAI, PASSWORD, GITHUB, OPENAI[8:40]):
        assert secret not in sent
    seen = {**outputs(server.requests[1]), **outputs(server.requests[2])}
    assert "[masked: " in seen["list"] and "in variable `cfg`" in seen["list"] and "1 password in variable `db_password`" in seen["list"]
    assert "rows | int |  | 1234" in seen["list"] and "'tok-budget-4096'" in seen["list"]
    assert "'model': 'gpt-5'" in seen["cfg"] and "[masked: 1 OpenAI key in variable `cfg`]" in seen["cfg"]
    assert "'tok-budget-4096'" in seen["allowed"] and "[masked" not in seen["allowed"]
    assert "ConnectionError: login refused for [REDACTED]" in seen["err"]
    assert "retries = 3" in seen["err"] and "1 password in local `password` of `connect`" in seen["err"]
    assert "in In [" in seen["hist"] and "rows = 1234" in seen["hist"]
    assert "[REDACTED] [REDACTED]" in seen["run"] and "[masked: 1 OpenAI key, 1 GitHub token in stdout; 1 password in result]" in seen["run"]

    blocks = {b["call_id"]: b for b in view.of_kind("tool")}
    assert "[masked: 1 OpenAI key in variable `cfg`]" in blocks["cfg"]["output"]
    assert "1 password in local `password` of `connect`" in blocks["err"]["output"]
