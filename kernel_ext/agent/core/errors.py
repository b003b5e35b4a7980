"""Errors a front end may need to show before any session exists.

    SetupError        the agent cannot start: no API key, bad config file, ...
"""

from __future__ import annotations


class SetupError(Exception):
    """A problem the user fixes (the message says how); never carries a secret."""
