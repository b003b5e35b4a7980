"""Secrets never reach the model (issue 9, hole 7).

Two layers, each tested with a control that must keep working:

* the kernel tools (kernel_variables, last_error, notebook_history, run_python) mask
  key-shaped strings and secret-named values in what they return, say what they masked
  (never the value) and show a variable the user allowed (`kernel_variables_unmasked`);
* one pass on every model request replaces the known secret values (provider key,
  auth.json, secret-named environment variables, also ones set after the session
  started) in every item, whichever tool produced it: end to end through
  `kernel-agent exec --json`.

The real-kernel case (`%%agent` in an ipykernel) is tests/kernel/test_secret_masking.py.
"""

from __future__ import annotations

import base64
import json

import pytest
from pathlib import Path
from typing import Any

from agent.core.model_input_redaction import ModelInputRedactor
from agent.core.redact import auth_file_values, secret_env_values
from agent.protocol.items import FunctionCallOutput, InputImage, InputText, Message
from agent.protocol.policy import DangerFullAccess
from agent.tools.base import ToolCall
from agent.tools.kernel_access import NamespaceKernelAccess
from agent.tools.kernel_tools import kernel_tools
from agent.tools.secret_mask import SecretMasker
from tests.scripted_server import ToolCall as ModelCall
from tests.tools.fakes import FakeCtx

OPENAI = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 5
ANTHROPIC = "sk-ant-api03-" + "Zq7Wx2Ec9Rv4Tb6Yn1Um3Ik8Ol5Pa0Sd" * 2
AWS_ID, AWS_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
GOOGLE = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4Uq0l2Z0Vb5Q3mLr8sT\n-----END RSA PRIVATE KEY-----"
PASSWORD = "correct-horse-battery"
SHAPED = {"OpenAI key": OPENAI, "Anthropic key": ANTHROPIC, "AWS access key id": AWS_ID, "GitHub token": GITHUB,
          "Slack token": SLACK, "Google API key": GOOGLE, "JWT": JWT, "private key": PEM}
ORDINARY = {"token_count": 1234, "tokens": ["the", "cat"], "sha": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "task_id": "task-0123456789abcdefghijklmnop", "label": "monkey business",
            "tokenizer_name": "bert-base-uncased", "sort_key": "created_at-desc"}


def tools_over(ns: dict[str, Any], unmasked: tuple[str, ...] = (), **access: Any) -> dict[str, Any]:
    return {t.name: t for t in kernel_tools(NamespaceKernelAccess(ns, **access), unmasked=unmasked)}


async def call(tool: Any, **args: Any) -> str:
    ctx = FakeCtx(cwd=Path.cwd(), sandbox_policy=DangerFullAccess())
    result = await tool.handle(ToolCall(call_id="c1", name=tool.name, kind="function", payload=json.dumps(args)), ctx)
    return result.output


def assert_no_secret(text: str) -> None:
    for value in (*SHAPED.values(), AWS_SECRET, PASSWORD):
        assert value not in text, value[:12]
    for fragment in ("Ab3dEf6hIj9kLm2n", "Zq7Wx2Ec9Rv4Tb6Y", "MIIEowIBAAKCAQEA", "SflKxwRJSMeKKF2Q"):
        assert fragment not in text, fragment


# --- the kernel tools -----------------------------------------------------------------


async def test_kernel_variables_masks_keys_and_passwords_and_says_where():
    """Invariant: kernel_variables returns no key-shaped string and no secret-named
    string value verbatim, listed or inspected (also a key deep in a long value, cut by
    the repr), and ends with a note naming the variable and the kind, never the value.
    Control: ordinary variables (token_count, tokenizer_name, sort_key, a hex digest,
    `task-…` ids, words) are shown."""
    ns = {"cfg": {"openai": OPENAI, "aws": (AWS_ID, AWS_SECRET), "slack": SLACK}, "db_password": PASSWORD,
          "long_text": "x " * 3000 + OPENAI + " y" * 3000, "pem": PEM, "tokens_jwt": [JWT, GITHUB, GOOGLE, ANTHROPIC],
          **ORDINARY}
    tool = tools_over(ns)["kernel_variables"]
    listing = await call(tool)
    assert_no_secret(listing)
    assert "[masked: " in listing and "in variable `cfg`" in listing and "1 password in variable `db_password`" in listing
    for shown in ("1234", "monkey business", "task-0123456789abcdefghijklmnop", "bert-base-uncased", "created_at-desc"):
        assert shown in listing, shown
    for name in ("cfg", "db_password", "long_text", "pem", "tokens_jwt"):
        report = await call(tool, name=name)
        assert_no_secret(report)
        assert f"in variable `{name}`]" in report, report[-200:]
    cfg = await call(tool, name="cfg")
    assert "1 OpenAI key" in cfg and "1 AWS access key id" in cfg and "1 AWS secret key" in cfg and "1 Slack token" in cfg
    assert "da39a3ee5e6b4b0d3255bfef95601890afd80709" in await call(tool, name="sha")
    assert "[masked" not in await call(tool, name="label")


async def test_allowed_variable_passes_through():
    """Invariant: a variable the user allowed (`kernel_variables_unmasked`) is shown as
    it is, in the listing and when inspected. Control: the same values under another
    name are masked."""
    ns = {"token_count": "abcdefgh-not-a-secret", "demo_key": OPENAI, "other_key": OPENAI, "api_token": "abcdefgh-not-a-secret"}
    tool = tools_over(ns, unmasked=("token_count", "demo_key"))["kernel_variables"]
    listing = await call(tool)
    assert "'abcdefgh-not-a-secret'" in listing and OPENAI[:20] in listing
    assert "in variable `other_key`" in listing and "in variable `api_token`" in listing
    assert "in variable `demo_key`" not in listing and "in variable `token_count`" not in listing
    assert OPENAI[:60] in await call(tool, name="demo_key")
    assert OPENAI[:20] not in await call(tool, name="other_key")


async def test_last_error_masks_message_source_and_locals():
    """Invariant: last_error masks keys in the exception message, the source lines and
    the locals, and secret-named string locals, naming the local in its note. Control:
    ordinary locals and the error type are shown; an allowed local is shown."""
    def connect(api_key, password, retries, token_count):
        raise PermissionError(f"Incorrect API key provided: {api_key}")

    try:
        connect(OPENAI, PASSWORD, 3, "abcdefgh-fine")
    except PermissionError as err:
        error = err
    tool = tools_over({}, unmasked=("token_count",), last_exception=lambda: error)["last_error"]
    out = await call(tool)
    assert_no_secret(out)
    assert out.startswith("PermissionError: Incorrect API key provided: [REDACTED]")
    assert "retries = 3" in out and "token_count = 'abcdefgh-fine'" in out
    assert "in local `api_key` of `connect`" in out and "1 password in local `password` of `connect`" in out
    assert "in the traceback" in out


async def test_notebook_history_masks_sources_and_outputs():
    """Invariant: notebook_history masks keys and secret assignments in cell sources and
    outputs, naming the cell. Control: the rest of each cell is shown."""
    access_ns: dict[str, Any] = {}
    tools = tools_over(access_ns)
    access = tools["notebook_history"].access
    access.add_history(f'import os\nos.environ["OPENAI_API_KEY"] = "{OPENAI}"\npassword = "{PASSWORD}"')
    access.add_history("creds", f"('{AWS_ID}', '{AWS_SECRET}')")
    access.add_history("x = 1 + 1", "2")
    out = await call(tools["notebook_history"])
    assert_no_secret(out)
    assert 'os.environ["OPENAI_API_KEY"] = "[REDACTED]"' in out and 'password = "[REDACTED]"' in out
    assert "in In [1]" in out and "in Out[2]" in out and "x = 1 + 1" in out


async def test_run_python_masks_its_output_and_tells_the_transcript():
    """Invariant: run_python's output to the model has keys masked in stdout, results and
    tracebacks, with a note; the transcript (the command's output stream) gets the note
    too. Control: ordinary output is returned."""
    tool = tools_over({"cfg": {"key": OPENAI}})["run_python"]
    ctx = FakeCtx(cwd=Path.cwd(), sandbox_policy=DangerFullAccess())
    code = f"print('hello', cfg['key'])\nprint('{GITHUB}')\ncfg"
    result = await tool.handle(ToolCall(call_id="c1", name="run_python", kind="function", payload=json.dumps({"code": code})), ctx)
    assert_no_secret(result.output)
    assert "hello [REDACTED]" in result.output
    assert "[masked: 1 OpenAI key, 1 GitHub token in stdout; 1 OpenAI key in result]" in result.output
    streamed = "".join(base64.b64decode(e.chunk).decode() for e in ctx.events if type(e).__name__ == "ExecCommandOutputDelta")
    assert "[masked: 1 OpenAI key, 1 GitHub token in stdout" in streamed


@pytest.mark.timeout(30)
def test_masking_is_cheap_on_large_outputs():
    """Invariant: masking has no catastrophic backtracking on big text full of trigger
    words (it runs on every kernel tool call; a runaway regex would hit the timeout).
    Control: a key at the end of it is still found."""
    masker = SecretMasker().scope()
    text = "the token of the key secret is fine, key: value\n" * 5_000
    assert masker.mask(text + OPENAI).endswith("[REDACTED]")


# --- the pass on model input -----------------------------------------------------------


def test_model_input_pass_replaces_known_values_in_every_item(monkeypatch):
    """Invariant: every item sent to the model (tool output, user message, …) has the
    known secret values replaced, including a secret-named environment variable set after
    the session started; items without secrets are passed as they are (the same objects)
    and image data is left alone. Control: ordinary text is unchanged."""
    monkeypatch.delenv("LATE_SERVICE_TOKEN", raising=False)
    redactor = ModelInputRedactor(["provider-key-0123456789"])
    clean = Message(role="user", content=[InputText(text="hello"), InputImage(image_url="data:image/png;base64,provider-key-0123456789")])
    leaky = FunctionCallOutput(call_id="c1", output="key=provider-key-0123456789 late=late-token-abcdefgh")
    first = redactor.items([clean, leaky])
    assert first[0] is clean
    assert first[1].output == "key=[REDACTED] late=late-token-abcdefgh"
    monkeypatch.setenv("LATE_SERVICE_TOKEN", "late-token-abcdefgh")
    second = redactor.items([clean, leaky])
    assert second[1].output == "key=[REDACTED] late=[REDACTED]"
    assert redactor.text("instructions mention provider-key-0123456789") == "instructions mention [REDACTED]"


def test_model_input_pass_cost_is_per_new_item(monkeypatch):
    """Invariant: the per-request pass is cheap on a long history: items already seen are
    not redacted again (counted, not timed; the timing is in `make bench`-style figures of
    the closing note). Control: a new item with a secret is still redacted."""
    secret = "s3cr3t-value-0123456789"
    items = [FunctionCallOutput(call_id=f"c{i}", output="lorem ipsum dolor sit amet " * 40) for i in range(2_000)]
    redactor = ModelInputRedactor([secret], env={})
    redactor.items(items)
    calls = []
    original = ModelInputRedactor._item
    monkeypatch.setattr(ModelInputRedactor, "_item", lambda self, item: calls.append(item) or original(self, item))
    items.append(FunctionCallOutput(call_id="new", output=f"found {secret}"))
    out = redactor.items(items)
    assert out[-1].output == "found [REDACTED]"
    assert len(calls) == 1, len(calls)


def test_known_secret_sources(tmp_path, monkeypatch):
    """Invariant: the known values include every string of auth.json and the values of
    environment variables named like secrets (PASSWORD, CREDENTIAL, … as well as KEY,
    SECRET, TOKEN). Control: short values, ordinary names and existing paths are not secrets."""
    (tmp_path / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": "sk-auth-0123456789", "tokens": {"refresh": "refresh-abcdefgh"}}))
    assert sorted(auth_file_values(tmp_path)) == ["refresh-abcdefgh", "sk-auth-0123456789"]
    env = {"DB_PASSWORD": "hunter2hunter2", "GCP_CREDENTIALS_JSON": "{...long...}", "HOME": "/home/someone-long",
           "API_KEY": "short", "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "auth.json")}
    assert sorted(secret_env_values(env)) == ["hunter2hunter2", "{...long...}"]


def test_secrets_in_tool_output_never_reach_the_model_end_to_end(agent):
    """Invariant: whatever a tool returns, the model never gets the value of a
    secret-named environment variable or of auth.json: a workspace file holding copies of
    them (as a leaked .env would) reaches the model with those values replaced. Control:
    the rest of the file reaches the model."""
    aws_secret, db_password = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "correct-horse-battery-staple"
    agent.env_extra = {"AWS_SECRET_ACCESS_KEY": aws_secret, "DB_PASSWORD": db_password}
    agent.write_config()
    (agent.home / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": "stored-login-key-0123456789"}))
    (agent.work / "deploy.env").write_text(f"REGION=eu-west-1\nAWS={aws_secret}\nDB={db_password}\nOLD=stored-login-key-0123456789\n")
    result = agent.run(tool_calls=[ModelCall("read_file", {"file_path": str(agent.work / "deploy.env")})])
    assert result.proc.returncode == 0, result.proc.stderr
    sent = agent.model_input_text()
    for secret in (aws_secret, db_password, "stored-login-key-0123456789"):
        assert secret not in sent
    output = agent.tool_outputs()["call_0"]
    assert "REGION=eu-west-1" in output and "AWS=[REDACTED]" in output and "DB=[REDACTED]" in output


async def test_notebook_edit_masks_the_outputs_of_a_run():
    """Invariant: the outputs of a cell the model ran through notebook_edit are masked
    like run_python's. Control: an edit without a run returns the panel's message as is."""
    from agent.tools.notebook_edit import NotebookEditTool

    class Panel:
        connected = True

        async def request_edit(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
            return {"status": "applied", "message": f"ran cell 2; output: {OPENAI}" if request["run"] else "replaced cell 2"}

    tool = NotebookEditTool(Panel())
    ran = await call(tool, action="run", index=2)
    assert_no_secret(ran)
    assert ran == "ran cell 2; output: [REDACTED]\n[masked: 1 OpenAI key in the cell's output]"
    assert await call(tool, action="replace", index=2, source="x = 1") == "replaced cell 2"
