"""Front ends: they send Ops and render Events, reaching the agent only through
`agent.core.api` (and the pydantic models of `agent.protocol`).

* `notebook/` — the IPython extension: `%load_ext agent`, the `%%agent` / `%agent`
  magics, the live cell widget and the JupyterLab side panel's kernel end.
* `transcript/` — session events reduced to one transcript state (pure), and its
  Markdown rendering; shared by the widget, the panel and saved notebooks.
* `text/` — terminals and scripts: the text renderer, the stdin approval view,
  `exec --json` thread events and the `agent.Agent` Python API.
* `cli/` — the `kernel-agent` command.
"""
