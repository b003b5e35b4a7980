"""`%agent SUBCOMMAND`: managing the kernel's session from a notebook line.

Each subcommand is a small function taking the notebook controller and its argument
words; session changes (new, resume, fork) are the controller's. Output is Markdown in a
kernel and plain text elsewhere. Nothing here prints a secret: `login` reads the key with
getpass and only ever shows it masked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shlex
from typing import TYPE_CHECKING, Any, Callable

from agent.protocol import events as ev

from .notebook_agent import NotebookAgent, NothingToResume
from .usage import LINE_USAGE
from .views import show as _show
from .views import text_views, widget_view

if TYPE_CHECKING:
    from agent.core.api import Session


def show(agent: NotebookAgent, markdown: str) -> None:
    _show(agent.loop.in_kernel, markdown)


async def run_line_command_async(agent: NotebookAgent, line: str) -> Any:
    """`run_line_command`, awaiting what the command started in the background (in a
    kernel, `%agent diff|undo` lines are rewritten into this by extension.py)."""
    result = _run(agent, line)
    if isinstance(result, asyncio.Task):
        await result
        return None
    return result


def run_line_command(agent: NotebookAgent, line: str) -> Any:
    """Run `%agent LINE`; work a command started in the background (in a kernel) goes on
    after this returns."""
    result = _run(agent, line)
    return None if isinstance(result, asyncio.Task) else result


def _run(agent: NotebookAgent, line: str) -> Any:
    words = shlex.split(line)
    if not words:
        return show(agent, f"```\n{LINE_USAGE}```")
    command = COMMANDS.get(words[0])
    if command is None:
        from IPython.core.error import UsageError

        raise UsageError(f"unknown subcommand {words[0]!r}; try %agent? for the list")
    from agent.core.api import ConfigError

    try:
        return command(agent, words[1:])
    except ConfigError as err:
        from .views import show_config_error

        show_config_error(agent.loop.in_kernel, err)


def cmd_status(agent: NotebookAgent, args: list[str]) -> None:
    config = agent.config()
    session = agent.session
    configured = session.configured.msg if session is not None else None
    turn = agent.this_turn()

    def now(key: str, default: str) -> str:  # the running turn's value where it differs
        return f"{turn[key]} (this turn; later turns: {default})" if key in turn else default

    rows = [
        ("model", now("model", config.model)),
        ("provider", f"{config.model_provider_id} ({config.model_provider.base_url}, {config.model_provider.wire_api} API)"),
        ("approval policy", now("approval_policy", config.approval_policy)),
        ("sandbox", f"{now('sandbox_mode', config.sandbox_mode)} ({configured.sandbox_mechanism if configured else 'probed when the session starts'})"),
        *([("permission profile", f"`{config.permission_profile}`")] if config.permission_profile else []),
        ("working directory", str(config.cwd)),
        ("session", configured.session_id if configured else "none yet (the next %%agent starts one)"),
        ("context left", _context_left(agent.last_info)),
        *(session.config if session is not None else config).lockdown(),  # what the session holds
    ]
    if agent.queue:
        rows.append(("queued", f"{len(agent.queue)} prompt(s), each its own turn after the running one: "
                               + ", ".join(item.origin for item in agent.queue)))
    if configured is not None and configured.sandbox_warning:
        rows.append(("warning", configured.sandbox_warning))
    if configured is not None and configured.sandbox_mechanism not in (None, "none"):
        hidden = ", ".join(f"`{p}`" for p in configured.sandbox_hidden or []) or "nothing"
        rows.append(("hidden from commands", hidden))
        rows += [("sandbox note", note) for note in configured.sandbox_notes or []]
    show(agent, "\n".join(f"- **{k}:** {v}" for k, v in rows))


def _context_left(info: ev.TokenUsageInfo | None) -> str:
    if info is None or not info.model_context_window:
        return "unknown until the first answer"
    left = ev.percent_of_context_left(info.last_token_usage.total_tokens, info.model_context_window)
    return f"{left}% of {info.model_context_window:,} tokens ({info.total_token_usage.total_tokens:,} used in total)"


def cmd_new(agent: NotebookAgent, args: list[str]) -> None:
    agent.new()  # forgotten now, so a cell right after can't reuse it
    show(agent, "Started a new conversation: the next `%%agent` cell begins it.")


def cmd_sessions(agent: NotebookAgent, args: list[str]) -> None:
    from agent.core.api import list_sessions

    config = agent.config()
    rows = list_sessions(config.home, cwd=None if "--all" in args else config.cwd, limit=20)
    if not rows:
        return show(agent, "No recorded sessions here yet." + ("" if "--all" in args else " (`%agent sessions --all` lists every folder.)"))
    lines = ["| id | started | first request |", "| --- | --- | --- |"]
    for row in rows:
        when = row.created.astimezone().strftime("%Y-%m-%d %H:%M")
        lines.append(f"| `{row.id}` | {when} | {row.first_user_message.replace('|', '/')} |")
    show(agent, "\n".join(lines))


def cmd_resume(agent: NotebookAgent, args: list[str]) -> None:
    from agent.core.api import SetupError

    ids = [a for a in args if not a.startswith("--")]
    try:
        session = agent.resume(ids[0] if ids else None)
    except NothingToResume as err:
        return show(agent, str(err))
    except SetupError as err:
        return show(agent, f"**Can't resume:** {err}")
    _switched(agent, session, "Resumed")


def cmd_fork(agent: NotebookAgent, args: list[str]) -> None:
    from agent.core.api import SetupError

    at = None
    if "--at" in args:
        i = args.index("--at")
        at, args = int(args[i + 1]), args[:i] + args[i + 2:]
    source = args[0] if args else (agent.session.conversation_id if agent.session else None)
    if source is None:
        return show(agent, "Nothing to fork: give a session id (see `%agent sessions`).")
    try:
        session = agent.fork(source, at)
    except SetupError as err:
        return show(agent, f"**Can't fork:** {err}")
    _switched(agent, session, "Forked into")


def _switched(agent: NotebookAgent, session: Session, verb: str) -> None:
    from .replay import recorded_transcript

    earlier = recorded_transcript(session, header=False).to_markdown().strip()
    show(agent, f"{verb} session `{session.conversation_id}`.\n\n" + (earlier or "_(no earlier messages)_"))


def _one(args: list[str], what: str, allowed: tuple[str, ...] | None = None) -> str:
    from IPython.core.error import UsageError

    if len(args) != 1:
        raise UsageError(f"usage: %agent {what} VALUE")
    if allowed is not None and args[0] not in allowed:
        raise UsageError(f"expected one of: {', '.join(allowed)}")
    return args[0]


def cmd_model(agent: NotebookAgent, args: list[str]) -> None:
    model = _one(args, "model")
    agent.set_defaults(model=model)
    show(agent, f"model → `{model}` for the next turns.")


def cmd_approvals(agent: NotebookAgent, args: list[str]) -> None:
    from agent.protocol.policy import APPROVAL_POLICIES

    policy = _one(args, "approvals", APPROVAL_POLICIES)
    agent.set_defaults(approval_policy=policy)
    show(agent, f"approval policy → `{policy}` for the next turns.")


def cmd_sandbox(agent: NotebookAgent, args: list[str]) -> None:
    from agent.protocol.policy import SANDBOX_MODES

    mode = _one(args, "sandbox", SANDBOX_MODES)
    agent.config(dataclasses.replace(agent.defaults, sandbox_mode=mode))  # refused (e.g. next to default_permissions): nothing changes
    agent.set_defaults(sandbox_mode=mode)
    show(agent, f"sandbox mode → `{mode}` for the next turns.")


def cmd_diff(agent: NotebookAgent, args: list[str]) -> None:
    """`%agent diff [N]`: what the N-th latest turn changed in the workspace (1: the latest)."""
    from IPython.core.error import UsageError

    if len(args) > 1 or (args and not (args[0].isdigit() and int(args[0]) >= 1)):
        raise UsageError("usage: %agent diff [N]  (N = 1 for the latest turn, 2 for the one before, ...)")
    n = int(args[0]) if args else 1
    session = agent.session
    if session is None:
        return show(agent, "No turn yet in this session.")

    def shown(text: str | None) -> None:
        if text is None:
            show(agent, f"This session has no turn {n} back (undone turns are gone)." if n > 1 else "No turn yet in this session.")
        else:
            which = "The last turn" if n == 1 else f"Turn {n} back"
            show(agent, f"```diff\n{text}```" if text else f"{which} changed no files.")

    from agent.core.api import finished_turn_diff, turn_diff

    ready, text = finished_turn_diff(session, n)
    if ready:  # the usual case: shown in this cell at once
        return shown(text)

    async def diff() -> None:  # a turn still running or being snapshotted
        shown(await turn_diff(session, n))

    return agent.loop.run(diff())


def cmd_undo(agent: NotebookAgent, args: list[str]) -> None:
    session = agent.session
    if session is None:
        return show(agent, "Nothing to undo.")

    async def undo() -> None:
        stream = session.events()
        await session.undo()
        async for event in stream:
            if event.msg.type == "undo_completed":
                stream.close()
                show(agent, ("Undone. " if event.msg.success else "") + (event.msg.message or "Not undone."))

    return agent.loop.run(undo())


def cmd_compact(agent: NotebookAgent, args: list[str]) -> None:
    if agent.loop.in_kernel:
        agent.compact(widget_view)
        return

    async def compact() -> None:  # in the foreground: to its end, shown as text
        await agent.wait(agent.compact(text_views(header=False)))

    agent.loop.run(compact())


def cmd_stop(agent: NotebookAgent, args: list[str]) -> None:
    where = agent.stop()
    show(agent, f"Stopped the running turn ({where})." if where else "Nothing is running.")


def cmd_login(agent: NotebookAgent, args: list[str]) -> None:
    import getpass

    from agent.core.api import login_refusal, mask_key, save_api_key

    held = agent.session.config.requirements.login_refusal() if agent.session is not None else None
    refusal = held or login_refusal()  # the session's requirements, or the system folder's before one starts
    if refusal is not None:
        return show(agent, f"**kernel-agent:** {refusal}")
    key = getpass.getpass("OpenAI API key (not shown): ").strip()
    if not key:
        return show(agent, "No key entered; nothing changed.")
    path = save_api_key(agent.config().home, key)
    show(agent, f"Saved API key {mask_key(key)} to `{path}` (mode 0600).")


def cmd_logout(agent: NotebookAgent, args: list[str]) -> None:
    from agent.core.api import delete_auth

    removed = delete_auth(agent.config().home)
    show(agent, "Removed the stored API key." if removed else "No stored API key.")


def cmd_config(agent: NotebookAgent, args: list[str]) -> None:
    config = agent.config()
    path = config.home / "config.toml"
    state = "exists" if path.exists() else "does not exist yet"
    show(agent, f"Configuration file: `{path}` ({state}); see the README's *Configuration* section.\n")
    cmd_status(agent, [])
    for warning in config.warnings:
        show(agent, f"**warning:** {warning}")


def cmd_mcp(agent: NotebookAgent, args: list[str]) -> None:
    """`%agent mcp`: each configured MCP server's state, error, sandbox and tools."""
    from agent.core.api import mcp_servers

    session = agent.session
    servers = agent.config().mcp_servers
    if not servers:
        show(agent, "No MCP servers are configured (`[mcp_servers.<name>]` in config.toml; see docs/mcp.md).")
        return
    if session is None:
        show(agent, "MCP servers start with the session (the next %%agent): " + ", ".join(f"`{s.name}`" for s in servers))
        return
    show(agent, "\n".join(_mcp_line(view) for view in mcp_servers(session)))


def _mcp_line(view: Any) -> str:
    sandbox = "not sandboxed (sandbox = false)" if view.sandbox_opt_out else f"sandbox: {view.sandboxed}"
    line = f"- **{view.name}**: {view.state}"
    if view.state != "disabled":
        line += f", {sandbox}"
    if view.error:
        line += f" — {view.error}"
    if view.tools:
        line += "\n  - tools: " + ", ".join(f"`{tool}`" for tool in view.tools)
    return line


def cmd_log(agent: NotebookAgent, args: list[str]) -> None:
    from .notebook_agent import _notebook
    from .notebook_log import LogError, audit, find_notebook

    try:
        show(agent, audit(find_notebook(args[0] if args else None, _notebook())))
    except LogError as err:
        show(agent, str(err))


COMMANDS: dict[str, Callable[[NotebookAgent, list[str]], Any]] = {
    "status": cmd_status, "new": cmd_new, "sessions": cmd_sessions, "resume": cmd_resume, "fork": cmd_fork,
    "model": cmd_model, "approvals": cmd_approvals, "sandbox": cmd_sandbox, "diff": cmd_diff, "undo": cmd_undo,
    "compact": cmd_compact, "stop": cmd_stop, "login": cmd_login, "logout": cmd_logout, "config": cmd_config,
    "log": cmd_log, "mcp": cmd_mcp,
}
