"""A scripted stdio MCP server for the client's fault tests (stdlib only).

`python tests/mcp_fault_server.py MODE`, MODE one of:
* `ok`: a working server; its tools (listed over two pages) are
  echo (text = the `text` argument; sends a log notification first), crash (exits
  mid-call), hang (never answers), malformed (answers a line that is not JSON), huge
  (answers a line of `mib` MiB), ask_client (sends roots/list and ping to the client and
  reports the replies), cancelled (the request ids of every notifications/cancelled
  received), write_file (writes `path`, answers "written" or "errno <name>"), env (the
  server's environment as JSON), bad_id (first answers with an id that is a list, then
  "fine"), deep (answers JSON nested 100000 deep), leak (an error response quoting the
  server's SERVER_TOKEN);
* `resources`: `ok` that also offers resources: notes/a.txt, notes/b.txt (listed over two
  pages), a template notes/{name}, `resources/read` of a listed URI (an unknown URI is an
  error);
* `crash-on-start`: prints a reason on stderr and exits 3 before answering;
* `hang`: reads requests and never answers;
* `old-protocol`: answers initialize with protocol version 1999-01-01.
"""

from __future__ import annotations

import errno
import json
import os
import sys

TOOLS = ["echo", "crash", "hang", "malformed", "huge", "ask_client", "cancelled", "write_file", "env", "bad_id",
         "deep", "leak"]
SCHEMA = {"type": "object", "properties": {}}
RESOURCES = [{"uri": f"file:///notes/{n}.txt", "name": f"{n}.txt", "mimeType": "text/plain"} for n in "ab"]
TEMPLATES = [{"uriTemplate": "file:///notes/{name}", "name": "note"}]
cancelled: list[object] = []
replies: dict[object, dict] = {}


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def read() -> dict | None:
    line = sys.stdin.readline()
    if not line:
        return None
    message = json.loads(line)
    if message.get("method") == "notifications/cancelled":
        cancelled.append(message["params"]["requestId"])
    if "id" in message and "method" not in message:
        replies[message["id"]] = message
    return message


def text(value: str) -> dict:
    return {"content": [{"type": "text", "text": value}]}


def await_reply(rid: str) -> dict:
    while rid not in replies:
        if read() is None:
            sys.exit(0)
    return replies.pop(rid)


def write_file(path: str) -> str:
    try:
        with open(path, "w") as handle:
            handle.write("from the MCP server\n")
    except OSError as err:
        return f"errno {errno.errorcode.get(err.errno or 0, err.errno)}"
    return "written"


def call(name: str, args: dict) -> dict | None:
    if name == "echo":
        send({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "echoing"}})
        return text(str(args.get("text", "")))
    if name == "crash":
        sys.stderr.write("fault server: crashing on purpose\n")
        sys.stderr.flush()
        os._exit(7)
    if name == "hang":
        return None
    if name == "malformed":
        sys.stdout.write("{this is not json\n")
        sys.stdout.flush()
        return None
    if name == "huge":
        sys.stdout.write('{"jsonrpc": "2.0", "id": 0, "result": {"pad": "' + "x" * (int(args["mib"]) << 20) + '"}}\n')
        sys.stdout.flush()
        return None
    if name == "ask_client":
        send({"jsonrpc": "2.0", "id": "s1", "method": "roots/list"})
        send({"jsonrpc": "2.0", "id": "s2", "method": "ping"})
        return text(json.dumps({"roots": await_reply("s1"), "ping": await_reply("s2")}))
    if name == "cancelled":
        return text(json.dumps(cancelled))
    if name == "write_file":
        return text(write_file(str(args["path"])))
    if name == "env":
        return text(json.dumps(dict(os.environ)))
    if name == "bad_id":
        send({"jsonrpc": "2.0", "id": [1], "result": {}})
        return text("fine")
    if name == "deep":
        sys.stdout.write("[" * 100000 + "]" * 100000 + "\n")
        sys.stdout.flush()
        return None
    return None


def answer(message: dict, mode: str) -> None:
    method, rid, params = message.get("method"), message.get("id"), message.get("params") or {}
    if rid is None or mode == "hang":
        return
    if method == "initialize":
        version = "1999-01-01" if mode == "old-protocol" else params.get("protocolVersion")
        capabilities: dict = {"tools": {}, "resources": {}} if mode == "resources" else {"tools": {}}
        send({"jsonrpc": "2.0", "id": rid, "result": {"protocolVersion": version, "capabilities": capabilities,
                                                        "serverInfo": {"name": "fault", "version": "1"}}})
    elif method == "tools/list":
        half = len(TOOLS) // 2
        names, cursor = (TOOLS[half:], None) if params.get("cursor") == "page2" else (TOOLS[:half], "page2")
        result: dict = {"tools": [{"name": n, "inputSchema": SCHEMA} for n in names]}
        if cursor:
            result["nextCursor"] = cursor
        send({"jsonrpc": "2.0", "id": rid, "result": result})
    elif mode == "resources" and method.startswith("resources/"):
        resources(rid, method, params)
    elif method == "tools/call" and params["name"] == "leak":
        token = os.environ.get("SERVER_TOKEN")
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": f"bad token {token}"}})
    elif method == "tools/call":
        result = call(params["name"], params.get("arguments") or {})
        if result is not None:
            send({"jsonrpc": "2.0", "id": rid, "result": result})
    else:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": f"no method {method}"}})


def resources(rid: object, method: str, params: dict) -> None:
    if method == "resources/list":
        page2 = params.get("cursor") == "page2"
        result: dict = {"resources": RESOURCES[1:] if page2 else RESOURCES[:1]}
        if not page2:
            result["nextCursor"] = "page2"
    elif method == "resources/templates/list":
        result = {"resourceTemplates": TEMPLATES}
    elif method == "resources/read" and params.get("uri") in {r["uri"] for r in RESOURCES}:
        result = {"contents": [{"uri": params["uri"], "mimeType": "text/plain", "text": f"contents of {params['uri']}"}]}
    else:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32002, "message": f"no resource {params.get('uri')}"}})
        return
    send({"jsonrpc": "2.0", "id": rid, "result": result})


def main() -> None:
    mode = sys.argv[1]
    if mode == "crash-on-start":
        sys.stderr.write("fault server: cannot start, no config\n")
        sys.exit(3)
    while (message := read()) is not None:
        answer(message, mode)


if __name__ == "__main__":
    main()
