"""Rollouts: the session's JSONL record on disk (spec §9).

`recorder` writes them (`RolloutRecorder`, `fork_rollout`), `load` reads and rebuilds
history, `listing` finds and lists sessions, `format` holds the line format and file
names, `sink` the `RolloutSink` Protocol the session writes to. The public names are
re-exported here.
"""

from .recorder import *  # noqa: F401,F403
from .recorder import __all__  # noqa: F401
