"""`kernel-agent acp`: the agent served over the Agent Client Protocol (JSON-RPC on stdio).

A front end like the CLI: it reaches the agent only through `agent.core.api` and
`agent.protocol`. One ACP session is one of our sessions (recorded to a rollout, so
`session/load` can replay it). Modules:

    server.py      the entry point: logging to stderr, the SDK's connection on stdio
    agent.py       the ACP methods (initialize, session/new|load|prompt|cancel|set_mode)
    bridge.py      one ACP session: follows its events, answers approvals, ends prompts
    updates.py     our events -> `session/update` notifications (messages, thoughts, plan)
    tool_calls.py  our tool events -> `tool_call` / `tool_call_update` (kind, locations, diffs)
    permissions.py approval requests -> `session/request_permission`, answers -> decisions
    prompt_input.py ACP content blocks -> our user input items
    modes.py       the session modes read-only / auto / full-access
    commands.py    the `/undo` and `/compact` commands (`available_commands_update`)
    mcp_servers.py the client's `mcpServers` -> the session's MCP servers

The SDK (`agent-client-protocol`, the `acp` extra) is imported only here, never by
`import agent`. See docs/acp.md.
"""
