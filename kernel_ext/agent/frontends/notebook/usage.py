"""The help texts of `%%agent` (`%%agent?`) and `%agent` (`%agent?`, or `%agent` alone).

They are plain text so that `%load_ext agent` imports nothing to build them; a test checks
that the policies and modes they list are protocol/policy.py's.
"""

CELL_USAGE = """%%agent [--model M] [--approval POLICY] [--sandbox MODE] [--wait] [--new]
<your request, on the following lines>

Ask the agent to do something in this notebook's folder. The transcript streams into the
cell: text, commands with live output, patches as diffs, and Approve / Approve for session
/ Deny / Abort buttons for anything that needs your consent. The cell returns at once and
the kernel stays usable; later %%agent cells continue the same conversation.

  --model M          model for this cell's turn (e.g. gpt-5.1-codex)
  --approval POLICY  untrusted | on-failure | on-request | never
  --sandbox MODE     read-only | workspace-write | danger-full-access
  --wait             block the cell until the turn ends (for Run All, nbclient, papermill)
  --new              start a new conversation first

--model, --approval and --sandbox apply to this cell's turn only; `%agent model`,
`%agent approvals` and `%agent sandbox` change them for the later turns.
"""

LINE_USAGE = """%agent SUBCOMMAND [ARGS]

  status                 model, provider, sandbox, approval policy, context left
  new                    start a new conversation (the next %%agent begins it)
  sessions [--all]       recorded sessions (this folder; --all for every folder)
  resume [ID|--last]     continue a recorded session (default: this notebook's last one,
                         else this folder's)
  fork [ID] [--at N]     a new conversation copying a session up to its N-th message
  model NAME             switch model          approvals POLICY   switch approval policy
  sandbox MODE           switch sandbox mode   diff [N]           what the last (N-th) turn changed
  undo                   undo the latest turn that changed something (again: the one before)
  compact                summarise the conversation to free context
  stop                   stop the running turn
  login / logout         store or remove an API key (auth.json in the agent home, 0600)
  config                 where the configuration lives and what is in effect
  mcp                    MCP servers: state, error, sandbox, tools
  log [PATH]             audit of the saved notebook: each agent turn's tools, approvals and
                         files changed, and the cells the agent edited (default: this notebook)
"""
