"""Front ends: they send Ops and render Events, reaching the agent only through
`agent.core.api` (and the pydantic models of `agent.protocol`); an import-linter contract
in pyproject.toml enforces it. The one exception: the CLI's standalone `sandbox` and
`apply-patch` commands, which run no session and import the engine they front
(`agent.exec`, `agent.tools.patch`) directly.

* `notebook/` — the IPython extension: `%load_ext agent`, the `%%agent` / `%agent`
  magics, the live cell widget and the JupyterLab side panel's kernel end. One controller,
  `notebook_agent.NotebookAgent`, owns the kernel's session (new, resume, fork, switch,
  close) and routes its events to `TurnView`s; the panel bridge is a `SessionListener`
  (both Protocols in `notebook/interfaces.py`).
* `transcript/` — session events reduced to one transcript state (pure), its patches and
  its Markdown rendering; shared by the widget, the panel and saved notebooks.
* `text/` — terminals and scripts: the text renderer, the stdin approval view (the
  notebook's `TurnView` outside a kernel), `exec --json` thread events and the
  `agent.Agent` Python API.
* `cli/` — the `kernel-agent` command.

A new front end starts from `agent.core.api`: `load_config`, `open_session` (or
`resume_session` / `fork_session`), `submit_user_text`, then `session.events()`.
"""
