"""The kernel-agent home folder (spec §10.1, adapted).

`agent_home()` is `$KERNEL_AGENT_HOME` when that variable is set and non-blank (used as
given, with `~` expanded, made absolute; it need not exist yet), otherwise
`~/.kernel-agent`. It holds `config.toml`, `auth.json`, `sessions/` and `history.jsonl`.

Nothing is created by looking the path up: writers call `ensure_home()` first, which
creates the folder (and missing parents) on demand with mode 0700.

`system_dir()` is the admin's folder (`managed_config.toml`, `requirements.toml`,
`rules/`): `$KERNEL_AGENT_SYSTEM_DIR` when set and non-blank (an admin sets it in the
spawner's environment), otherwise `/etc/kernel-agent`; named by `os.environ`, it is pinned
at its first lookup in the process. Each session reads the files once, at its start, and
holds what it read (see core/config).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

HOME_ENV_VAR = "KERNEL_AGENT_HOME"
DEFAULT_HOME_NAME = ".kernel-agent"
SYSTEM_DIR_ENV_VAR = "KERNEL_AGENT_SYSTEM_DIR"
DEFAULT_SYSTEM_DIR = "/etc/kernel-agent"


def agent_home(env: Mapping[str, str] | None = None) -> Path:
    """Where kernel-agent keeps its files; `env` defaults to `os.environ`."""
    env = os.environ if env is None else env
    override = env.get(HOME_ENV_VAR, "").strip()
    if override:
        return Path(os.path.abspath(os.path.expanduser(override)))
    user_home = env.get("HOME", "").strip()
    base = Path(user_home) if user_home else Path.home()
    return base.absolute() / DEFAULT_HOME_NAME


def system_dir(env: Mapping[str, str] | None = None) -> Path:
    """The admin's system folder; `env` defaults to `os.environ`.

    Named by `os.environ`, it is looked up once per process, at the first call (the agent's
    first configuration load) and pinned: the spawner sets the variable when the process
    starts, so a later change can only come from code in the process (a cell, or a model's
    run_python), and must not move the folder for later sessions either. An explicit `env`
    (a CLI's child environment, a test) is read as given."""
    if env is None or env is os.environ:
        if not _PINNED:
            _PINNED.append(_system_dir_in(os.environ))
        return _PINNED[0]
    return _system_dir_in(env)


_PINNED: list[Path] = []


def _system_dir_in(env: Mapping[str, str]) -> Path:
    override = env.get(SYSTEM_DIR_ENV_VAR, "").strip()
    return Path(os.path.abspath(os.path.expanduser(override or DEFAULT_SYSTEM_DIR)))


def ensure_home(path: Path) -> Path:
    """Create `path` (mkdir -p) if missing; a folder we create gets mode 0700."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)
    return path
