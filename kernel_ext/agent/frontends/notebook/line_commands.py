"""`%agent SUBCOMMAND`: managing the kernel's session from a notebook line.

Each subcommand is a small function taking the magics object and its argument words.
Output is Markdown in a kernel and plain text elsewhere. Nothing here prints a secret:
`login` reads the key with getpass and only ever shows it masked.
"""

from __future__ import annotations

import os
import shlex
from typing import Any, Callable

from agent.protocol import events as ev
from agent.protocol import ops

APPROVALS = ("untrusted", "on-failure", "on-request", "never")
SANDBOXES = ("read-only", "workspace-write", "danger-full-access")


def show(magics: Any, markdown: str) -> None:
    from .notebook_agent import in_kernel

    if in_kernel(magics.shell):
        from IPython.display import Markdown, display

        display(Markdown(markdown))
    else:
        print(markdown)


def run_line_command(magics: Any, line: str) -> Any:
    words = shlex.split(line)
    if not words:
        from .magics import LINE_USAGE

        return show(magics, f"```\n{LINE_USAGE}```")
    command = COMMANDS.get(words[0])
    if command is None:
        from IPython.core.error import UsageError

        raise UsageError(f"unknown subcommand {words[0]!r}; try %agent? for the list")
    return command(magics, words[1:])


def cmd_status(magics: Any, args: list[str]) -> None:
    agent = magics.agent
    config = agent.config()
    session = agent.session
    configured = session.configured.msg if session is not None else None
    rows = [
        ("model", config.model),
        ("provider", f"{config.model_provider_id} ({config.model_provider.base_url}, {config.model_provider.wire_api} API)"),
        ("approval policy", config.approval_policy),
        ("sandbox", f"{config.sandbox_mode} ({configured.sandbox_mechanism if configured else 'probed when the session starts'})"),
        ("working directory", str(config.cwd)),
        ("session", configured.session_id if configured else "none yet (the next %%agent starts one)"),
        ("context left", _context_left(agent.last_info)),
    ]
    if configured is not None and configured.sandbox_warning:
        rows.append(("warning", configured.sandbox_warning))
    if configured is not None and configured.sandbox_mechanism not in (None, "none"):
        hidden = ", ".join(f"`{p}`" for p in configured.sandbox_hidden or []) or "nothing"
        rows.append(("hidden from commands", hidden))
        rows += [("sandbox note", note) for note in configured.sandbox_notes or []]
    show(magics, "\n".join(f"- **{k}:** {v}" for k, v in rows))


def _context_left(info: ev.TokenUsageInfo | None) -> str:
    if info is None or not info.model_context_window:
        return "unknown until the first answer"
    left = ev.percent_of_context_left(info.last_token_usage.total_tokens, info.model_context_window)
    return f"{left}% of {info.model_context_window:,} tokens ({info.total_token_usage.total_tokens:,} used in total)"


def cmd_new(magics: Any, args: list[str]) -> None:
    from .notebook_agent import in_kernel

    if in_kernel(magics.shell):
        magics.agent.close_soon()  # forgotten now, so a cell right after can't reuse it
    else:
        magics.run_async(magics.agent.close())
    show(magics, "Started a new conversation: the next `%%agent` cell begins it.")


def cmd_sessions(magics: Any, args: list[str]) -> None:
    from agent.core.rollout import list_sessions

    config = magics.agent.config()
    rows = list_sessions(config.home, cwd=None if "--all" in args else config.cwd, limit=20)
    if not rows:
        return show(magics, "No recorded sessions here yet." + ("" if "--all" in args else " (`%agent sessions --all` lists every folder.)"))
    lines = ["| id | started | first request |", "| --- | --- | --- |"]
    for row in rows:
        when = row.created.astimezone().strftime("%Y-%m-%d %H:%M")
        lines.append(f"| `{row.id}` | {when} | {row.first_user_message.replace('|', '/')} |")
    show(magics, "\n".join(lines))


def cmd_resume(magics: Any, args: list[str]) -> None:
    from agent.core.errors import SetupError
    from agent.core.factory import resume_session

    agent = magics.agent
    config = agent.config()
    target = _resume_target(config, args)
    if target is None:
        return show(magics, "No recorded session to resume for this notebook or folder.")
    try:
        session = _on_loop(magics, lambda: resume_session(config, target))
    except SetupError as err:
        return show(magics, f"**Can't resume:** {err}")
    _switch(magics, session, "Resumed")


def _resume_target(config: Any, args: list[str]) -> Any:
    from agent.core.rollout import list_sessions

    ids = [a for a in args if not a.startswith("--")]
    if ids:
        return ids[0]
    notebook = os.environ.get("JPY_SESSION_NAME")
    for kw in ({"notebook": notebook} if notebook else None, {"cwd": config.cwd}, {}):
        if kw is None:
            continue
        rows = list_sessions(config.home, limit=1, **kw)
        if rows:
            return rows[0].path
    return None


def cmd_fork(magics: Any, args: list[str]) -> None:
    from agent.core.errors import SetupError
    from agent.core.factory import fork_session

    agent = magics.agent
    at = None
    if "--at" in args:
        i = args.index("--at")
        at, args = int(args[i + 1]), args[:i] + args[i + 2:]
    source = args[0] if args else (agent.session.conversation_id if agent.session else None)
    if source is None:
        return show(magics, "Nothing to fork: give a session id (see `%agent sessions`).")
    try:
        session = _on_loop(magics, lambda: fork_session(agent.config(), source, at))
    except SetupError as err:
        return show(magics, f"**Can't fork:** {err}")
    _switch(magics, session, "Forked into")


def _on_loop(magics: Any, make: Callable[[], Any]) -> Any:
    """Build a session where it will live: the kernel's loop (we are on it) or ours."""
    from .notebook_agent import in_kernel

    if in_kernel(magics.shell):
        return make()

    async def build() -> Any:
        return make()

    return magics._foreground(build())


def _switch(magics: Any, session: Any, verb: str) -> None:
    agent = magics.agent
    old = agent.session
    if old is not None:
        magics.run_async(old.shutdown())
        agent.session = None
    attach = agent.attach
    if magics.shell is not None and getattr(magics.shell, "kernel", None) is not None:
        attach(session)
    else:
        async def go() -> None:
            attach(session)

        magics._foreground(go())
    show(magics, f"{verb} session `{session.conversation_id}`.\n\n" + _replay(session))


def _replay(session: Any) -> str:
    from ..transcript.reducer import Transcript

    transcript = Transcript()
    for payload in session.configured.msg.initial_messages or []:
        try:
            transcript.apply(ev.Event(id="replay", msg=payload))
        except ValueError:
            continue
    text = transcript.to_markdown().strip()
    return text or "_(no earlier messages)_"


def _override(magics: Any, field: str, value: str, allowed: tuple[str, ...] | None) -> None:
    from IPython.core.error import UsageError

    if allowed is not None and value not in allowed:
        raise UsageError(f"expected one of: {', '.join(allowed)}")
    agent = magics.agent
    setattr(agent.defaults, field, value)
    if agent.session is not None:
        config = agent.config()
        agent.session.submit(ops.OverrideTurnContext(
            model=config.model, approval_policy=config.approval_policy, sandbox_policy=config.sandbox_policy))
    show(magics, f"{field.replace('_', ' ')} → `{value}` for the next turns.")


def _one(magics: Any, args: list[str], what: str) -> str:
    if len(args) != 1:
        from IPython.core.error import UsageError

        raise UsageError(f"usage: %agent {what} VALUE")
    return args[0]


def cmd_model(magics: Any, args: list[str]) -> None:
    _override(magics, "model", _one(magics, args, "model"), None)


def cmd_approvals(magics: Any, args: list[str]) -> None:
    _override(magics, "approval_policy", _one(magics, args, "approvals"), APPROVALS)


def cmd_sandbox(magics: Any, args: list[str]) -> None:
    _override(magics, "sandbox_mode", _one(magics, args, "sandbox"), SANDBOXES)


def cmd_diff(magics: Any, args: list[str]) -> None:
    from agent.core.notebook import last_turn_diff

    session = magics.agent.session
    diff = last_turn_diff(session) if session is not None else ""
    show(magics, f"```diff\n{diff}```" if diff else "The last turn changed no files.")


def cmd_undo(magics: Any, args: list[str]) -> None:
    session = magics.agent.session
    if session is None:
        return show(magics, "Nothing to undo.")

    async def undo() -> None:
        stream = session.events()
        await session.undo()
        async for event in stream:
            if event.msg.type == "undo_completed":
                stream.close()
                show(magics, ("Undone. " if event.msg.success else "Not undone: ") + (event.msg.message or ""))

    magics.run_async(undo())


def cmd_compact(magics: Any, args: list[str]) -> None:
    from .magics import show_view

    agent = magics.agent
    session = agent.ensure_session()
    view = show_view(on_decision=agent.decide, on_stop=agent.stop)
    sub_id = session.submit(ops.Compact())
    agent.track_view(sub_id, view)


def cmd_stop(magics: Any, args: list[str]) -> None:
    magics.agent.stop()


def cmd_login(magics: Any, args: list[str]) -> None:
    import getpass

    from agent.core.auth import mask_key, save_api_key

    key = getpass.getpass("OpenAI API key (not shown): ").strip()
    if not key:
        return show(magics, "No key entered; nothing changed.")
    save_api_key(magics.agent.config().home, key)
    show(magics, f"Saved API key {mask_key(key)} to `~/.kernel-agent/auth.json` (mode 0600).")


def cmd_logout(magics: Any, args: list[str]) -> None:
    from agent.core.auth import delete_auth

    removed = delete_auth(magics.agent.config().home)
    show(magics, "Removed the stored API key." if removed else "No stored API key.")


def cmd_config(magics: Any, args: list[str]) -> None:
    config = magics.agent.config()
    path = config.home / "config.toml"
    state = "exists" if path.exists() else "does not exist yet"
    show(magics, f"Configuration file: `{path}` ({state}); see the README's *Configuration* section.\n")
    cmd_status(magics, [])
    for warning in config.warnings:
        show(magics, f"**warning:** {warning}")


COMMANDS: dict[str, Callable[[Any, list[str]], Any]] = {
    "status": cmd_status, "new": cmd_new, "sessions": cmd_sessions, "resume": cmd_resume, "fork": cmd_fork,
    "model": cmd_model, "approvals": cmd_approvals, "sandbox": cmd_sandbox, "diff": cmd_diff, "undo": cmd_undo,
    "compact": cmd_compact, "stop": cmd_stop, "login": cmd_login, "logout": cmd_logout, "config": cmd_config,
}
