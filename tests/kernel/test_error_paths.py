"""Error paths in a real kernel (issue 11 item 5): a wrong base URL fails fast with one
message, a bad config value is one line everywhere, messages name the real agent home,
`%agent stop` says what it stopped, and loading the extension twice is silent."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.frontends.test_panel_kernel import Panel
from tests.scripted_server import Reply

from .conftest import write_config

SLOW = Reply(text="a slow answer " * 8, chunk_size=1, delay_per_event=0.1)  # ~11 s unless stopped


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_base_url_fails_within_3s_with_one_message_naming_url_and_provider(make_kernel, home: Path):
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    write_config(home, url, retries=4)  # retries that a 503 would get: a refused port gets none
    k = make_kernel()
    k.run("%load_ext agent")
    started = time.monotonic()
    execution = k.run("%%agent\nhello")
    view = k.wait_for_view(execution.msg_id)
    k.wait_for(lambda: view.phase == "error", timeout=10, what="the turn to fail")
    assert time.monotonic() - started < 3.0
    assert [b["message"] for b in view.of_kind("error")] == [f"cannot reach {url} (provider scripted): connection refused"]
    assert view.of_kind("stream_error") == []
    k.wait_for(lambda: "cannot reach" in k.collect(execution.msg_id).markdown(), what="the saved Markdown")
    markdown = k.collect(execution.msg_id).markdown()
    assert "retrying" not in markdown and "Reconnecting" not in markdown


def test_a_bad_config_value_is_one_line_in_cells_line_commands_and_the_panel(make_kernel, home: Path, server):
    write_config(home, server.url, extra='approval_policy = "sometimes"')
    config = home / "config.toml"
    problem = (f"{config}: invalid value for 'approval_policy': 'sometimes' "
               "(expected one of: untrusted, on-failure, on-request, never)")
    k = make_kernel()
    k.run("%load_ext agent")
    for code in ("%%agent\nhello", "%%agent --wait\nhello", "%agent status", "%agent sessions"):
        execution = k.run(code)
        assert execution.errors() == [] and execution.stderr() == "", code
        assert execution.markdown() == f"**kernel-agent: bad configuration:** {problem}", code
    panel = Panel(k)
    k.wait_for(lambda: panel.messages("notice"), what="the panel's notice")
    assert panel.messages("notice")[0] == {"type": "notice", "level": "error",
                                           "message": f"kernel-agent: bad configuration: {problem}"}
    assert panel.status() is None  # no "status" that would look like a working agent
    panel.send({"type": "user_input", "text": "hello?"})
    k.wait_for(lambda: len(panel.messages("notice")) >= 2, what="the prompt's notice")
    assert panel.messages("notice")[-1]["message"] == f"kernel-agent: bad configuration: {problem}"
    assert server.requests == []


def test_setup_help_names_the_auth_file_under_kernel_agent_home(make_kernel, home: Path):
    k = make_kernel(key=None)
    k.run("%load_ext agent")
    text = k.run("%%agent\nhello").markdown()
    assert f"stored in `{home / 'auth.json'}`" in text and f"in `{home / 'config.toml'}`" in text
    assert "~/.kernel-agent" not in text


def test_stop_says_what_it_stopped(kernel, server):
    assert kernel.run("%agent stop").markdown() == "Nothing is running."
    server.enqueue(SLOW)
    execution = kernel.run("%%agent\ntake your time")
    view = kernel.wait_for_view(execution.msg_id)
    kernel.wait_for(lambda: view.agent_text(), what="the answer to start")
    cell = execution.reply["content"]["execution_count"]
    assert kernel.run("%agent stop").markdown() == f"Stopped the running turn (cell [{cell}])."
    kernel.wait_for(lambda: view.phase == "aborted", what="the turn to stop")
    assert kernel.run("%agent stop").markdown() == "Nothing is running."

    panel = Panel(kernel)
    kernel.wait_for(panel.status, what="the panel's status")
    server.enqueue(SLOW)
    panel.send({"type": "user_input", "text": "slowly, please"})
    kernel.wait_for(lambda: panel.agent_text(), what="the panel's answer to start")
    assert kernel.run("%agent stop").markdown() == "Stopped the running turn (the panel)."


def test_loading_the_extension_again_is_silent_with_the_panel_open(kernel):
    panel = Panel(kernel)
    kernel.wait_for(panel.status, what="the panel's status")
    again = kernel.run("%load_ext agent")
    assert again.stdout() == "" and again.stderr() == "" and again.errors() == []
    assert "%%agent" in (kernel.run("%lsmagic").result() or "")
    kernel.run("%unload_ext agent")
    kernel.run("%load_ext agent")
    assert kernel.run("%load_ext agent").stdout() == ""
