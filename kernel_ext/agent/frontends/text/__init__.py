"""Text front ends: the terminal renderer, the stdin approval view, `exec --json` thread
events and the `agent.Agent` Python API."""
