"""Project-wide rules: layering, a cheap `import agent`, a current protocol schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "labextension" / "schema" / "protocol.schema.json"


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_import_agent_is_cheap():
    code = (
        "import sys, agent; heavy = {'httpx', 'httpx_sse', 'pydantic', 'IPython', 'ipykernel', 'anyio'};"
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

    for name in ["agent", "agent.protocol", "agent.tools", "agent.client"]:
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
