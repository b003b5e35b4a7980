"""Running one command safely: the sandbox and the process runner (the tools issue).

This layer depends only on `agent.protocol`.
"""
