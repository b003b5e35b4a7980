"""`kernel-agent`: the command-line entry point. Subcommands register themselves here.

Global options (`-c key=value`, `-p PROFILE`) are accepted before or after the
subcommand. Every command returns an exit code; errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence


def config_options() -> argparse.ArgumentParser:
    """Options every command that reads the config accepts."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("-c", "--config", dest="raw_overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value (TOML value), e.g. -c model='\"o3\"'")
    parent.add_argument("-p", "--profile", default=None, help="config profile to use")
    return parent


def build_parser() -> argparse.ArgumentParser:
    from .acp_cmd import add_acp_command
    from .apply_patch_cmd import add_apply_patch_command
    from .auth_commands import add_auth_commands
    from .exec_cmd import add_exec_command
    from .info_commands import add_info_commands
    from .mcp_commands import add_mcp_commands
    from .rules_cmd import add_rules_commands
    from .sandbox_cmd import add_sandbox_command
    from .session_commands import add_session_commands

    parser = argparse.ArgumentParser(prog="kernel-agent", description="A coding agent that lives in your Jupyter kernel.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_exec_command(sub, config_options())
    add_auth_commands(sub)
    add_info_commands(sub, config_options())
    add_apply_patch_command(sub)
    add_sandbox_command(sub)
    add_session_commands(sub, config_options())
    add_acp_command(sub, config_options())
    add_mcp_commands(sub, config_options())
    add_rules_commands(sub, config_options())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .session_commands import rewrite_exec_resume

    parser = build_parser()
    args = parser.parse_args(rewrite_exec_resume(sys.argv[1:] if argv is None else argv))
    if args.version:
        from agent._version import __version__

        print(f"kernel-agent {__version__}")
        return 0
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
