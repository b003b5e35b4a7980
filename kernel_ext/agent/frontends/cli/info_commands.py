"""Informational commands: `kernel-agent status` and `kernel-agent schema`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from agent.core.api import CliOverrides, ConfigError, load_config


def add_info_commands(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    status = sub.add_parser("status", parents=[parent], help="show the effective configuration")
    status.add_argument("-C", "--cd", dest="cwd", default=None)
    status.set_defaults(func=run_status)
    schema = sub.add_parser("schema", help="print (or write) the protocol's JSON Schema")
    schema.add_argument("--out", default=None, help="write to this file instead of stdout")
    schema.set_defaults(func=run_schema)


def run_status(args: argparse.Namespace) -> int:
    try:
        config = load_config(CliOverrides(cwd=args.cwd, profile=args.profile, raw=list(args.raw_overrides)))
    except ConfigError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    rows = [
        ("model", config.model),
        ("provider", f"{config.model_provider_id} ({config.model_provider.base_url}, wire: {config.model_provider.wire_api})"),
        ("approval policy", config.approval_policy),
        ("sandbox", config.sandbox_mode + (f" (permission profile {config.permission_profile})"
                                           if config.permission_profile else "")),
        ("workdir", str(config.cwd)),
        ("home", str(config.home)),
        ("auth", describe_auth(config)),
        *config.lockdown(),
    ]
    for key, value in rows:
        print(f"{key + ':':<17}{value}")
    for warning in config.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def describe_auth(config) -> str:
    """Where the key comes from, masked; or what is missing."""
    from agent.core.api import mask_key, resolve_api_key

    try:
        key = resolve_api_key(config.model_provider_id, config.model_provider, config.home, os.environ,
                              **config.key_rules())
    except Exception as err:  # MissingApiKey: its message says how to fix it
        return f"not configured: {err}"
    if key is None:
        return "no key needed (local server)"
    return f"API key {mask_key(key)}"


def schema_text() -> str:
    from agent.protocol.schema import protocol_schema

    return json.dumps(protocol_schema(), indent=2, sort_keys=True) + "\n"


def run_schema(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
