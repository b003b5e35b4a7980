"""The MCP client (spec §11): stdio servers started, sandboxed and talked to by the session,
and streamable-HTTP servers reached through agent.client.mcp_http (injected by core).

Nothing here is imported by `import agent`: the session imports these modules only when
`[mcp_servers.*]` is configured, and `mcp_types` (slow to import) only when a server starts.

* server_config.py: `McpServerConfig`, one configured server;
* spawn.py: the environment and argv a stdio server is started with (sandbox, env);
* connection.py: `StdioConnection`, newline-delimited JSON-RPC 2.0 over the subprocess;
* manager.py: `McpManager`, every server of a session (start, tools, calls, restarts);
* errors.py: `McpError`, a one-line failure;
* handshake.py: `initialize` and the paged `tools/list`;
* naming.py, schema.py: qualified tool names and sanitised input schemas for the model;
* tool.py, result.py: `McpTool` (approvals by annotation, begin/end events) and its results;
* resource_tools.py: `list_mcp_resources`, `list_mcp_resource_templates`, `read_mcp_resource`.
"""
