"""Loading the exec-policy rules: `<system_dir>/rules/*.rules`, then `<home>/rules/*.rules`.

    load_rules_files(home, env) -> RuleSet      # raises ConfigError (fail closed)

Files are read in name order, the admin's system folder first (among rules of the same
strictness the first loaded decides). A file that cannot be read or parsed, or whose
`match` / `not_match` examples fail, is a `ConfigError` naming the file and line: the
session does not start rather than run without the rules. A missing `rules` folder is
no rules. At most MAX_FILES files per folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from agent.core.home import system_dir
from agent.tools.exec_rules import MAX_FILE_BYTES, Rule, RuleSet, RulesError, parse_rules

from .errors import ConfigError

MAX_FILES = 1000


def load_rules_files(home: Path, env: Mapping[str, str]) -> RuleSet:
    """The rules of the system folder and of the user's home (see the module doc)."""
    rules: list[Rule] = []
    for folder in (system_dir(env) / "rules", home / "rules"):
        for path in rules_in(folder):
            rules.extend(read_rules_file(path))
    return RuleSet(tuple(rules))


def rules_in(folder: Path) -> list[Path]:
    """The `*.rules` files of `folder`, sorted by name; none when it does not exist."""
    if not folder.is_dir():
        return []
    try:
        paths = sorted(p for p in folder.glob("*.rules") if not p.name.startswith("."))
    except OSError as err:
        raise ConfigError(f"cannot list the rules folder: {err.strerror}", source=str(folder)) from None
    if len(paths) > MAX_FILES:
        raise ConfigError(f"more than {MAX_FILES} .rules files", source=str(folder))
    return paths


def read_rules_file(path: Path) -> tuple[Rule, ...]:
    """The rules of one file; ConfigError (`FILE:LINE: what`) when it is not usable."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        text = data.decode("utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read the rules file: {err.strerror}", source=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("the rules file is not valid UTF-8", source=str(path)) from None
    try:
        return parse_rules(text, str(path))
    except RulesError as err:
        raise ConfigError(str(err), key="rules") from None
