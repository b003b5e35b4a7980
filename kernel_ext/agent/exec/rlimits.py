"""Setting resource limits on this process, then (as a script) exec'ing a command. STDLIB ONLY.

Small and import-light on purpose: the Landlock launcher loads it by path for every
command, and `python -I -S rlimits.py --limits-json JSON -- CMD [ARGS...]` is the
fallback rlimit launcher inside bubblewrap when util-linux's `prlimit` is missing
(limits.rlimit_prefix). JSON maps `nproc`, `data`, `fsize`, `cpu` to integers (bytes,
seconds); each becomes the soft and hard limit. Failures exit 126 (127: command not
found, 2: bad usage), never running the command without its limits.
"""

from __future__ import annotations

import json
import os
import resource
import sys

RLIMITS = {"nproc": resource.RLIMIT_NPROC, "data": resource.RLIMIT_DATA, "fsize": resource.RLIMIT_FSIZE,
           "cpu": resource.RLIMIT_CPU}


def tasks_of(uid: int) -> int:
    """How many tasks (threads included) the real uid `uid` has, from /proc."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if line.startswith(("Uid:", "Threads:")))
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields["Threads"])
        except (OSError, KeyError, ValueError, IndexError):
            continue
    return count


def apply_rlimits(spec: dict, *, count_existing: bool = False) -> None:
    """Set soft = hard limits from `spec` on this process.

    `count_existing`: the process limit is added to the tasks the real uid already has
    (a non-root caller outside a user namespace of its own: RLIMIT_NPROC counts them all).
    Raises OSError/ValueError/KeyError when a limit can't be set.
    """
    for name, value in spec.items():
        if name == "nproc" and count_existing and os.getuid() != 0:
            value += tasks_of(os.getuid())
        resource.setrlimit(RLIMITS[name], (value, value))


def main(args: list[str]) -> None:
    if len(args) < 4 or args[0] != "--limits-json" or args[2] != "--":
        sys.stderr.write("usage: rlimits.py --limits-json JSON -- CMD [ARGS...]\n")
        os._exit(2)
    try:
        apply_rlimits(json.loads(args[1]))
        os.execvp(args[3], args[3:])
    except FileNotFoundError:
        sys.stderr.write(f"kernel-agent sandbox: {args[3]}: command not found\n")
        os._exit(127)
    except (OSError, ValueError, KeyError) as err:
        sys.stderr.write(f"kernel-agent sandbox: cannot set resource limits, refusing to run the command: {err}\n")
        os._exit(126)


if __name__ == "__main__":
    main(sys.argv[1:])
