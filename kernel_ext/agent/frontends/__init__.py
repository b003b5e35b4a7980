"""Front ends: the command line (and, later, magics, widgets, the comm bridge).

They send Ops and render Events; they reach the agent only through `agent.core` and
`agent.protocol`.
"""
