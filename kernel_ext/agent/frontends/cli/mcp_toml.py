"""Adding and removing one `[mcp_servers.<name>]` table of config.toml, keeping the rest.

The file is edited as text: a removal drops the table's header line (`[mcp_servers.NAME]`
or a sub-table such as `[mcp_servers.NAME.env]`) and every line up to the next table
header; an addition appends the table, written by the small writer below. The result is
parsed again and must equal the old document with only that server changed; otherwise
(e.g. the server is written as an inline table) nothing is written and `TomlEditError`
says so. The file is replaced atomically and keeps its mode (0600 when new).
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

NAME = re.compile(r"^[a-zA-Z0-9_-]+$")


class TomlEditError(Exception):
    """One line saying why config.toml was left as it was."""


def read_document(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its parsed document (both empty when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "", {}
    except (OSError, UnicodeDecodeError) as err:
        raise TomlEditError(f"cannot read {path}: {err}") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise TomlEditError(f"{path} is not valid TOML: {err}") from None


def configured_names(document: dict[str, Any]) -> list[str]:
    servers = document.get("mcp_servers")
    return sorted(servers) if isinstance(servers, dict) else []


def set_server(path: Path, name: str, table: dict[str, Any]) -> None:
    """Write `[mcp_servers.<name>]` = `table` (replacing a table of that name)."""
    text, document = read_document(path)
    kept = _without_table(text, name).rstrip("\n")
    new_text = (kept + "\n\n" if kept else "") + server_table(name, table)
    expected = copy.deepcopy(document)
    servers = expected.setdefault("mcp_servers", {})
    if not isinstance(servers, dict):
        raise TomlEditError(f"{path}: mcp_servers is not a table; edit it by hand")
    servers[name] = table
    _write_checked(path, new_text, expected, name)


def remove_server(path: Path, name: str) -> None:
    text, document = read_document(path)
    if name not in configured_names(document):
        raise TomlEditError(f"no MCP server named '{name}' in {path}")
    expected = copy.deepcopy(document)
    del expected["mcp_servers"][name]
    _write_checked(path, _without_table(text, name), expected, name)


def _normalised(document: dict[str, Any]) -> dict[str, Any]:
    """An empty `mcp_servers` table counts as none."""
    return {k: v for k, v in document.items() if not (k == "mcp_servers" and v == {})}


def _write_checked(path: Path, text: str, expected: dict[str, Any], name: str) -> None:
    try:
        actual = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        actual = None
    if actual is None or _normalised(actual) != _normalised(expected):
        raise TomlEditError(f"cannot edit [mcp_servers.{name}] in {path} safely (is it written another way, "
                            "e.g. as an inline table?); edit the file by hand")
    _atomic_write(path, text)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config.", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _header_re(name: str) -> re.Pattern[str]:
    key = rf'(?:{re.escape(name)}|"{re.escape(name)}"|\'{re.escape(name)}\')'
    return re.compile(rf"^\s*\[\s*mcp_servers\s*\.\s*{key}\s*(?:\.[^\]]*)?\]\s*(?:#.*)?$")


def _without_table(text: str, name: str) -> str:
    """`text` without the lines of `[mcp_servers.<name>]` and its sub-tables."""
    header, any_header = _header_re(name), re.compile(r"^\s*\[")
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if any_header.match(line):
            skipping = bool(header.match(line))
        if not skipping:
            kept.append(line)
    return "".join(kept)


# -- the writer -------------------------------------------------------------------------

def server_table(name: str, table: dict[str, Any]) -> str:
    """`[mcp_servers.<name>]` with `table`'s strings, string lists, booleans and a string
    table (`env`, written inline)."""
    if not NAME.match(name):
        raise TomlEditError(f"invalid server name {name!r} (allowed: letters, digits, '_' and '-')")
    lines = [f"[mcp_servers.{name}]"]
    lines += [f"{key} = {_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_string(k)} = {_string(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TomlEditError(f"cannot write a {type(value).__name__} to config.toml")


def _string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise TomlEditError(f"not valid text: {value!r}") from None
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
