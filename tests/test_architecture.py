"""Project-wide rules: layering, a cheap `import agent`, a current protocol schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "labextension" / "schema" / "protocol.schema.json"


def test_import_linter_contracts_hold():
    """Every contract in pyproject.toml (layers; front ends through agent.core.api and
    agent.protocol only, save the two documented standalone commands; a pure protocol;
    exec, tools and client with only their own dependencies) is checked and kept."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout
    front_ends = next(c for c in contracts if c.get("source_modules") == ["agent.frontends"])
    assert "agent.core" in front_ends["forbidden_modules"]
    exceptions = [i for i in front_ends["ignore_imports"] if not i.endswith("-> agent.core.api")]
    assert exceptions == ["agent.frontends.cli.apply_patch_cmd -> agent.tools.patch",
                          "agent.frontends.cli.sandbox_cmd -> agent.exec.**"]


def test_import_agent_is_cheap():
    code = (
        "import sys, agent, agent.core.api; heavy = {'httpx', 'httpx_sse', 'pydantic', 'IPython', 'ipykernel', 'anyio'};"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_checked_in_schema_is_current():
    from agent.frontends.cli.info_commands import schema_text

    assert SCHEMA_FILE.read_text() == schema_text(), "run `make schema` and commit the result"


def test_schema_validates_real_events_and_submissions():
    from agent.protocol import events as ev
    from agent.protocol import ops
    from agent.protocol.schema import protocol_schema

    schema = protocol_schema()
    samples = [
        ops.Submission(id="1", op=ops.text_turn("hi", approval_policy="never")).model_dump(mode="json"),
        ev.Event(id="1", msg=ev.AgentMessageDelta(delta="x")).model_dump(mode="json"),
        ev.Event(id="1", msg=ev.ExecCommandEnd(call_id="c", turn_id="1", command=["ls"], cwd="/", stdout="", stderr="",
                                              aggregated_output="", exit_code=0, duration=ev.Duration.from_seconds(1.5),
                                              formatted_output="")).model_dump(mode="json"),
    ]
    for sample in samples:
        jsonschema.validate(sample, schema)
    bad = {"id": "1", "msg": {"type": "agent_message_delta"}}
    try:
        jsonschema.validate(bad, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("an event without its field validated")


def test_public_names_are_sorted_and_exist():
    import importlib

    for name in ["agent", "agent.protocol", "agent.tools", "agent.client", "agent.core.api"]:
        module = importlib.import_module(name)
        exported = list(module.__all__)
        assert exported == sorted(exported), name
        for item in exported:
            assert hasattr(module, item) or item == "default_tools", (name, item)


def test_protocol_round_trips_through_json():
    from agent.protocol import event_adapter, op_adapter
    from agent.protocol import events as ev
    from agent.protocol import ops

    op = ops.Approval(call_id="c1", decision="approved_for_session")
    assert op_adapter.validate_json(json.dumps(op.model_dump(mode="json"))) == op
    event = ev.Event(id="3", msg=ev.TurnAborted(reason="interrupted"))
    assert event_adapter.validate_json(event.model_dump_json()) == event


def test_load_ext_is_cheap():
    """`%load_ext agent` registers magics and comm targets only: no models, no HTTP, no widget."""
    code = (
        "import sys; from IPython.core.interactiveshell import InteractiveShell;"
        "ip = InteractiveShell.instance(); ip.run_line_magic('load_ext', 'agent');"
        "assert 'AgentMagics' in ip.magics_manager.registry;"
        "heavy = {'httpx', 'httpx_sse', 'pydantic', 'anyio', 'anywidget', 'ipywidgets'};"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_the_panel_comm_target_names_are_defined_once():
    """protocol/comm.py defines them; the TypeScript gets them from the generated
    protocol.ts. Any other assignment of the literal is a copy that can drift."""
    import re

    root = Path(__file__).resolve().parents[1]
    assignment = re.compile(r"""=\s*['"]agent\.panel\.(commands|events)['"]""")
    sources = [*(root / "kernel_ext" / "agent").rglob("*.py"), *(root / "labextension" / "src").rglob("*.ts")]
    found = sorted(str(p.relative_to(root)) for p in sources if assignment.search(p.read_text()))
    assert found == ["kernel_ext/agent/protocol/comm.py", "labextension/src/protocol.ts"]
    generated = (root / "labextension" / "src" / "protocol.ts").read_text()
    assert "export const COMMANDS_TARGET = 'agent.panel.commands';" in generated
