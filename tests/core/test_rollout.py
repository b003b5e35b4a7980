"""Rollouts: the recorder's format and guarantees, loading, rebuilding, listing, forking."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from agent.client.scripted import ScriptedModelClient, reasoning_reply, text_reply, tool_reply
from agent.core.config import CliOverrides, load_config
from agent.core.factory import fork_session, open_session, record_prompt, resume_session, startup_warnings, submit_user_text
from agent.core.rollout import (
    RolloutRecorder,
    SessionNotFound,
    cut_before_user_message,
    find_session,
    fork_rollout,
    initial_messages,
    last_turn_model,
    latest_session,
    list_sessions,
    load_rollout,
    rebuild_history,
)
from agent.core.rollout.load import compacted_history
from agent.protocol import events as ev
from agent.protocol import ops
from agent.protocol.items import FunctionCall, FunctionCallOutput, Message, assistant_text, user_text
from tests.scripted_server import Reply, ScriptedServer

from .conftest import collect_until, make_session

ROOT = Path(__file__).resolve().parents[2]
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ENV_CONTEXT = "<environment_context>\n  <cwd>/w</cwd>\n</environment_context>"
AGENTS = "# AGENTS.md instructions for /w\n\n<INSTRUCTIONS>\nbe nice\n</INSTRUCTIONS>"


def new_id() -> str:
    return str(uuid.uuid4())


def lines_of(path: str | Path) -> list[dict]:
    return [json.loads(raw) for raw in Path(path).read_bytes().split(b"\n") if raw]


def record(home: Path, cwd: Path, *prompts: str, provider: str = "openai", conversation_id: str | None = None) -> RolloutRecorder:
    """A closed rollout with, per prompt: user item + user_message event + assistant item."""
    recorder = RolloutRecorder.create(home, conversation_id or new_id(), cwd=cwd, model_provider=provider)
    recorder.items([user_text(ENV_CONTEXT)])
    for prompt in prompts:
        recorder.items([user_text(prompt)])
        recorder.event(ev.UserMessage(message=prompt))
        recorder.turn_context({"cwd": str(cwd), "model": "gpt-5.1-codex"})
        recorder.items([assistant_text(f"answer to {prompt}")])
    recorder.close()
    return recorder


# --- the format --------------------------------------------------------------------------


def test_new_rollout_layout_modes_and_session_meta(tmp_path):
    home, sid = tmp_path / "home", new_id()
    recorder = RolloutRecorder.create(home, sid, cwd=tmp_path, source="exec", model_provider="scripted")
    recorder.items([user_text("hi")])
    recorder.close()
    path = Path(recorder.path)
    assert re.fullmatch(rf"rollout-\d{{4}}-\d{{2}}-\d{{2}}T\d{{2}}-\d{{2}}-\d{{2}}-{sid}\.jsonl", path.name)
    day = path.parent
    assert day.relative_to(home).parts[0] == "sessions" and len(day.relative_to(home).parts) == 4
    assert path.name[8:18] == "-".join(day.relative_to(home / "sessions").parts)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (home, home / "sessions", day.parent.parent, day.parent, day):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    first, second = lines_of(path)
    assert first["type"] == "session_meta" and STAMP.match(first["timestamp"]) and STAMP.match(second["timestamp"])
    meta = first["payload"]
    assert meta["id"] == sid and meta["cwd"] == str(tmp_path) and meta["originator"] == "kernel_agent"
    assert meta["source"] == "exec" and meta["model_provider"] == "scripted" and meta["cli_version"]
    assert "git" not in meta
    assert second == {"timestamp": second["timestamp"], "type": "response_item",
                      "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}}


def test_session_meta_has_git_info_inside_a_repository(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c", "init.defaultBranch=trunk"]
    for args in (["init", "-q"], ["remote", "add", "origin", "https://example.com/r.git"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)
    (repo / "sub").mkdir()
    started = time.monotonic()
    recorder = RolloutRecorder.create(tmp_path / "home", new_id(), cwd=repo / "sub")
    assert time.monotonic() - started < 1.5
    recorder.close()
    git_meta = lines_of(recorder.path)[0]["payload"]["git"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    assert git_meta == {"commit_hash": head, "branch": "trunk", "repository_url": "https://example.com/r.git"}


def test_only_persisted_event_kinds_are_written(tmp_path):
    recorder = RolloutRecorder.create(tmp_path, new_id(), cwd=tmp_path)
    for msg in (ev.AgentMessageDelta(delta="x"), ev.TaskStarted(), ev.TaskComplete(), ev.AgentMessage(message="m"),
                ev.AgentReasoning(text="r"), ev.Error(message="boom"), ev.TurnAborted(reason="interrupted"),
                ev.UndoCompleted(success=True), ev.Warning(message="w"), ev.UserMessage(message="u")):
        recorder.event(msg)
    recorder.close()
    kinds = [line["payload"]["type"] for line in lines_of(recorder.path)[1:]]
    assert kinds == ["agent_message", "agent_reasoning", "error", "turn_aborted", "undo_completed", "user_message"]


async def test_a_session_records_everything_and_resume_rebuilds_its_history(tmp_path, config):
    client = ScriptedModelClient([reasoning_reply("thinking", "hello there")])
    client.add(tool_reply(("update_plan", {"plan": [{"step": "a", "status": "completed"}]})), text_reply("planned"))
    recorder = RolloutRecorder.create(config.home, new_id(), cwd=config.cwd, model_provider="openai")
    session = make_session(config, client, rollout=recorder)
    stream = session.events()
    for prompt in ("first", "second"):
        session.submit(ops.text_turn(prompt))
        await collect_until(stream, {"task_complete"})
    await session.shutdown()
    loaded = load_rollout(Path(recorder.path))
    assert loaded.skipped == 0 and loaded.conversation_id == recorder.conversation_id
    assert rebuild_history(loaded.items) == session.history.items
    kinds = Counter(m["type"] for m in initial_messages(loaded.items))
    assert kinds == {"user_message": 2, "agent_reasoning": 1, "agent_message": 2, "token_count": 3}
    assert last_turn_model(loaded.items) == config.model
    types_ = [line.type for line in loaded.items]
    assert types_.count("turn_context") == 3 and "session_meta" not in types_


async def test_resume_after_a_real_compaction_rebuilds_the_same_history(config):
    client = ScriptedModelClient([text_reply("first answer"), text_reply("SUMMARY"), text_reply("after")])
    recorder = RolloutRecorder.create(config.home, new_id(), cwd=config.cwd)
    session = make_session(config, client, rollout=recorder)
    stream = session.events()
    for op in (ops.text_turn("question one"), ops.Compact(), ops.text_turn("question two")):
        session.submit(op)
        await collect_until(stream, {"task_complete"})
    await session.shutdown()
    loaded = load_rollout(Path(recorder.path))
    assert any(line.type == "compacted" for line in loaded.items)
    rebuilt = rebuild_history(loaded.items)
    assert rebuilt == session.history.items
    assert "SUMMARY" in rebuilt[-3].text() and "first answer" not in [i.text() for i in rebuilt]


def test_write_failures_disable_the_recorder_with_one_warning(tmp_path, caplog):
    recorder = RolloutRecorder.create(tmp_path, new_id(), cwd=tmp_path)
    os.close(recorder._fd)  # the descriptor vanishes under the recorder
    with caplog.at_level(logging.WARNING, logger="agent.core.rollout"):
        recorder.items([user_text("a")])
        recorder.event(ev.AgentMessage(message="b"))
        recorder.flush()
        recorder.close()
    assert not recorder.enabled
    assert len([r for r in caplog.records if "no longer recorded" in r.getMessage()]) == 1


def test_redaction_keeps_every_line_valid_json(tmp_path):
    secret = 'se"cret\\value-123'
    recorder = RolloutRecorder.create(tmp_path, new_id(), cwd=tmp_path,
                                      redact=lambda s: s.replace(secret, "[REDACTED]").replace('"cret', "[REDACTED]"))
    recorder.items([user_text(f"key {secret} and sk-proj-abcdefghijklmnopqrstuv")])
    recorder.close()
    payload = lines_of(recorder.path)[1]["payload"]
    assert "[REDACTED]" in payload["content"][0]["text"]


# --- durability --------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import itertools, sys
    from pathlib import Path
    from agent.core.rollout import RolloutRecorder
    from agent.protocol.items import user_text
    recorder = RolloutRecorder.create(Path(sys.argv[1]), sys.argv[2], cwd=Path(sys.argv[1]))
    for i in itertools.count():
        recorder.items([user_text(f"prompt {i} " + "x" * (i * 37 % 5000))])
""")


def test_sigkill_while_writing_loses_no_complete_line_and_resume_appends(tmp_path):
    home, sid = tmp_path / "home", new_id()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(home), sid], cwd=ROOT)
    try:
        path = _wait_for_lines(home, 400)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    loaded = load_rollout(path)
    assert loaded.conversation_id == sid and loaded.skipped <= 1
    numbers = [int(line.payload["content"][0]["text"].split()[1]) for line in loaded.items]
    assert numbers == list(range(len(numbers))) and len(numbers) >= 399
    recorder = RolloutRecorder.resume(path)
    recorder.items([user_text("after the crash")])
    recorder.close()
    history = rebuild_history(load_rollout(path).items)
    assert len(history) == len(numbers) + 1 and history[-1].text() == "after the crash"


def _wait_for_lines(home: Path, n: int, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = list((home / "sessions").rglob("*.jsonl")) if (home / "sessions").exists() else []
        if files and files[0].read_bytes().count(b"\n") >= n:
            return files[0]
        time.sleep(0.02)
    raise AssertionError("the writer never got going")


def test_torn_last_line_is_skipped_and_resume_starts_a_clean_line(tmp_path, caplog):
    recorder = record(tmp_path / "home", tmp_path, "one", "two")
    path = Path(recorder.path)
    whole = path.read_bytes()
    with open(path, "ab") as handle:
        handle.write(b'{"timestamp":"2026-01-01T00:00:00.000Z","type":"response_item","payload":{"type":"mess')
    with caplog.at_level(logging.WARNING):
        loaded = load_rollout(path)
    assert loaded.skipped == 1 and "skipped 1 line" in caplog.text
    assert len(loaded.items) == len(load_rollout_bytes(tmp_path, whole).items)
    recorder = RolloutRecorder.resume(path)
    recorder.items([user_text("three")])
    recorder.close()
    again = load_rollout(path)
    assert again.skipped == 1
    assert [m.text() for m in rebuild_history(again.items) if isinstance(m, Message) and m.role == "user"][-3:] == ["one", "two", "three"]
    assert path.read_bytes().startswith(whole) and path.read_bytes().endswith(b"\n")


def load_rollout_bytes(tmp_path: Path, data: bytes):
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(data)
    return load_rollout(copy)


async def test_resume_through_the_factory_keeps_the_id_file_and_history(tmp_path, config):
    env = {"OPENAI_API_KEY": "sk-test-factory-0123456789abcdef"}
    recorder = record(config.home, config.cwd, "one", "two")
    size = Path(recorder.path).stat().st_size
    with open(recorder.path, "ab") as handle:
        handle.write(b'{"timestamp": "torn')
    session = resume_session(config.with_overrides(model="o3"), recorder.conversation_id, env=env)
    assert session.conversation_id == recorder.conversation_id and session.rollout.path == recorder.path
    assert [i.text() for i in session.history.items] == [ENV_CONTEXT, "one", "answer to one", "two", "answer to two"]
    configured = session.configured.msg
    assert configured.rollout_path == recorder.path
    assert [m["type"] for m in configured.initial_messages] == ["user_message", "user_message", "warning", "warning"]
    warnings = startup_warnings(session)
    assert "Skipped 1 damaged line" in warnings[0]
    assert warnings[1].startswith("This session was recorded with model `gpt-5.1-codex` but is resuming with `o3`.")
    await session.shutdown()
    assert Path(recorder.path).stat().st_size == size + len(b'{"timestamp": "torn') + 1  # no new session_meta
    assert len(list((config.home / "sessions").rglob("*.jsonl"))) == 1


# --- history rebuilding ------------------------------------------------------------------


def test_compacted_lines_replace_the_history(tmp_path):
    recorder = record(tmp_path, tmp_path, "one", "two")
    reopened = RolloutRecorder.resume(Path(recorder.path))
    reopened.compacted("", [user_text("two"), assistant_text("a2")])
    reopened.items([user_text("three")])
    reopened.close()
    history = rebuild_history(load_rollout(Path(recorder.path)).items)
    assert [(i.role, i.text()) for i in history] == [("user", "two"), ("assistant", "a2"), ("user", "three")]


def test_summary_only_compaction_keeps_initial_context_user_messages_and_summary(tmp_path):
    recorder = record(tmp_path, tmp_path, "one", "two")
    reopened = RolloutRecorder.resume(Path(recorder.path))
    reopened.compacted("SUMMARY of the work")
    reopened.items([user_text("three")])
    reopened.close()
    history = rebuild_history(load_rollout(Path(recorder.path)).items)
    expected = compacted_history([user_text(ENV_CONTEXT)], [user_text(ENV_CONTEXT), user_text("one"), assistant_text("a"),
                                                            user_text("two")], "SUMMARY of the work")
    assert history == [*expected, user_text("three")]
    texts = [i.text() for i in history]
    assert texts[0] == ENV_CONTEXT and "one" in texts and "two" in texts and "answer to one" not in texts
    assert "SUMMARY of the work" in texts[-2]


def test_unknown_or_invalid_items_are_skipped_when_rebuilding(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in [
        {"timestamp": "t", "type": "session_meta", "payload": {"id": "x"}},
        {"timestamp": "t", "type": "response_item", "payload": {"type": "other_kind"}},
        {"timestamp": "t", "type": "response_item", "payload": {"type": "function_call", "name": "f", "arguments": "{}", "call_id": "c"}},
        {"timestamp": "t", "type": "response_item", "payload": {"type": "function_call_output", "call_id": "c", "output": "o"}},
        {"timestamp": "t", "type": "mystery", "payload": {}},
        [1, 2],
    ]) + "\n")
    loaded = load_rollout(path)
    assert loaded.skipped == 1 and loaded.meta == {"id": "x"}
    assert rebuild_history(loaded.items) == [FunctionCall(name="f", arguments="{}", call_id="c"),
                                             FunctionCallOutput(call_id="c", output="o")]


# --- fork --------------------------------------------------------------------------------


def test_fork_cuts_before_the_nth_real_user_message(tmp_path):
    home = tmp_path / "home"
    recorder = RolloutRecorder.create(home, new_id(), cwd=tmp_path)
    recorder.items([user_text(AGENTS), user_text(ENV_CONTEXT)])
    for n in range(3):
        recorder.items([user_text(f"u{n}")])
        recorder.event(ev.UserMessage(message=f"u{n}"))
        recorder.items([user_text("<user_shell_command>ls</user_shell_command>"), assistant_text(f"a{n}")])
    recorder.close()
    source = Path(recorder.path)
    items = load_rollout(source).items
    assert cut_before_user_message(items, None) == items
    assert cut_before_user_message(items, 3) == [] and cut_before_user_message(items, 7) == []
    new_id_, new_path, kept = fork_rollout(home, source, 1)
    texts = [i.text() for i in rebuild_history(kept)]
    assert texts == [AGENTS, ENV_CONTEXT, "u0", "<user_shell_command>ls</user_shell_command>", "a0"]
    assert new_path != source and new_id_ in new_path.name and new_id_ != recorder.conversation_id
    meta = lines_of(new_path)[0]
    assert meta["type"] == "session_meta" and meta["payload"]["id"] == new_id_
    assert meta["payload"]["forked_from"] == recorder.conversation_id
    assert [line.payload for line in load_rollout(new_path).items] == [line.payload for line in kept]
    assert stat.S_IMODE(new_path.stat().st_mode) == 0o600


async def test_fork_session_continues_in_a_new_file(tmp_path, config):
    env = {"OPENAI_API_KEY": "sk-test-factory-0123456789abcdef"}
    source = record(config.home, config.cwd, "one", "two")
    session = fork_session(config, source.conversation_id, 1, env=env)
    assert session.conversation_id != source.conversation_id
    assert [i.text() for i in session.history.items] == [ENV_CONTEXT, "one", "answer to one"]
    assert session.rollout.path != source.path
    await session.shutdown()
    empty = fork_session(config, source.conversation_id, 5, env=env)
    assert empty.resumed is False and empty.configured.msg.initial_messages == []
    await empty.shutdown()


async def test_prompts_go_to_history_jsonl_unless_persistence_is_none(config):
    env = {"OPENAI_API_KEY": "sk-test-factory-0123456789abcdef"}
    session = open_session(config, env=env)
    assert record_prompt(session, "keep me") is True
    await session.shutdown()
    quiet = open_session(config.with_overrides(history_persistence="none"), env=env)
    assert record_prompt(quiet, "forget me") is False
    await quiet.shutdown()
    lines = (config.home / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["keep me"]
    assert len(list((config.home / "sessions").rglob("*.jsonl"))) == 2  # rollouts are always written


# --- listing -----------------------------------------------------------------------------


def test_listing_is_newest_first_filtered_and_needs_a_user_message(tmp_path):
    home, here, there = tmp_path / "home", tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    ids = ["00000000-0000-0000-0000-00000000000" + str(n) for n in range(4)]
    record(home, here, "first\nsecond line", conversation_id=ids[0])
    record(home, there, "elsewhere", provider="other", conversation_id=ids[1])
    silent = RolloutRecorder.create(home, ids[2], cwd=here)
    silent.items([user_text(ENV_CONTEXT)])
    silent.close()
    record(home, here, "x" * 200, conversation_id=ids[3])
    _age_files(home, ids)
    rows = list_sessions(home)
    assert [r.id for r in rows] == [ids[3], ids[1], ids[0]]
    assert rows[2].first_user_message == "first" and rows[0].first_user_message.endswith("…")
    assert len(rows[0].first_user_message) == 80 and rows[2].cwd == str(here)
    assert rows[0].created > rows[2].created and rows[0].updated.tzinfo is not None
    assert [r.id for r in list_sessions(home, cwd=here)] == [ids[3], ids[0]]
    assert [r.id for r in list_sessions(home, provider="other")] == [ids[1]]
    assert [r.id for r in list_sessions(home, provider="openai", limit=1)] == [ids[3]]
    assert latest_session(home, provider="other") == rows[1].path
    assert latest_session(home, cwd=tmp_path / "nowhere") is None


def _age_files(home: Path, ids: list[str]) -> None:
    """Rename the files so their name timestamps follow the ids' order (one minute apart)."""
    for path in (home / "sessions").rglob("*.jsonl"):
        n = next(i for i, sid in enumerate(ids) if sid in path.name)
        path.rename(path.with_name(f"rollout-2026-01-02T10-0{n}-00-{ids[n]}.jsonl"))
        time.sleep(0.01)


def test_listing_scans_days_newest_first(tmp_path):
    home = tmp_path / "home"
    for day, sid in (("2025/12/31", "aaaaaaaa-0000-0000-0000-000000000000"), ("2026/01/01", "bbbbbbbb-0000-0000-0000-000000000000"),
                     ("2026/01/01", "cccccccc-0000-0000-0000-000000000000")):
        recorder = record(home, tmp_path, f"hello {sid[:2]}", conversation_id=sid)
        target = home / "sessions" / day
        target.mkdir(parents=True, exist_ok=True)
        stamp = day.replace("/", "-") + "T09-00-00"
        Path(recorder.path).rename(target / f"rollout-{stamp}-{sid}.jsonl")
    assert [r.id[:2] for r in list_sessions(home)] == ["cc", "bb", "aa"]


def test_find_session_by_id_prefix_and_path(tmp_path):
    home = tmp_path / "home"
    a = record(home, tmp_path, "a", conversation_id="abcd0000-0000-0000-0000-000000000001")
    record(home, tmp_path, "b", conversation_id="abcd0000-0000-0000-0000-000000000002")
    assert find_session(home, "abcd0000-0000-0000-0000-000000000001") == Path(a.path)
    assert find_session(home, "ABCD0000-0000-0000-0000-000000000001") == Path(a.path)
    assert find_session(home, a.path) == Path(a.path)
    with pytest.raises(SessionNotFound, match="2 recorded sessions"):
        find_session(home, "abcd")
    with pytest.raises(SessionNotFound, match="no recorded session"):
        find_session(home, "ffff")


# --- secrets -----------------------------------------------------------------------------

KEY = "sk-test-rollout-secret-0123456789abcdef"
STORED = "stored-auth-file-secret-value-987654321"


async def test_keys_never_reach_the_rollout_or_the_history_file(tmp_path):
    from agent.core.auth import save_api_key

    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    env = {"SCRIPTED_API_KEY": KEY}
    with ScriptedServer() as server:
        home.mkdir()
        (home / "config.toml").write_text(
            f'model = "gpt-5.1-codex"\nmodel_provider = "scripted"\n[model_providers.scripted]\nname = "S"\n'
            f'base_url = "{server.url}"\nenv_key = "SCRIPTED_API_KEY"\n')
        save_api_key(home, STORED)
        config = load_config(CliOverrides(cwd=str(work)), home=home, env=env)
        server.enqueue(Reply(text=f"your key is {KEY} and the file says {STORED}", reasoning=f"I see {KEY}"))
        session = open_session(config, env=env, source="exec")
        stream = session.events()
        submit_user_text(session, f"remember {KEY} and {STORED}")
        await collect_until(stream, {"task_complete"}, timeout=20)
        await session.shutdown()
    rollout = Path(session.rollout.path).read_bytes()
    history = (home / "history.jsonl").read_bytes()
    for data in (rollout, history):
        assert KEY.encode() not in data and STORED.encode() not in data
        assert b"[REDACTED]" in data
    assert rollout.count(b"[REDACTED]") >= 5
    assert lines_of(session.rollout.path)[0]["payload"]["source"] == "exec"
    entry = json.loads(history)
    assert entry["session_id"] == session.conversation_id and entry["text"].startswith("remember [REDACTED]")
    assert (session.configured.msg.history_log_id, session.configured.msg.history_entry_count) == (0, 0)
    later = open_session(config, env=env)
    assert later.configured.msg.history_log_id == (home / "history.jsonl").stat().st_ino
    assert later.configured.msg.history_entry_count == 1
    await later.shutdown()


def test_resume_answers_a_call_recorded_without_its_output(tmp_path):
    """Invariant: a session file that ends with a tool call and no output (the process was
    killed while the tool ran) rebuilds into a valid history: the call is answered with a
    synthetic `aborted` output right after it; a complete call/output pair is untouched."""
    path = tmp_path / "rollout.jsonl"
    recorder = RolloutRecorder(path, meta={"id": "s1"})
    done = FunctionCall(name="shell", arguments="{}", call_id="c1")
    cut = FunctionCall(name="shell", arguments='{"command":["sleep","30"]}', call_id="c2")
    recorder.items([user_text("go"), done, FunctionCallOutput(call_id="c1", output="ok"), cut])
    recorder.close()
    history = rebuild_history(load_rollout(path).items)
    assert [(type(i).__name__, getattr(i, "call_id", None), getattr(i, "output", None)) for i in history[1:]] == [
        ("FunctionCall", "c1", None), ("FunctionCallOutput", "c1", "ok"),
        ("FunctionCall", "c2", None), ("FunctionCallOutput", "c2", "aborted"),
    ]
