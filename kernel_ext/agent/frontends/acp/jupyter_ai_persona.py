"""kernel-agent as a persona in Jupyter AI 3's chat (`pip install "kernel-agent[jupyter-ai]"`).

Jupyter AI finds personas through the `jupyter_ai.personas` entry point; ours names
`KernelAgentPersona`, a `BaseAcpPersona` from jupyter-ai-acp-client that runs
`<this Python> -m agent acp` (the same environment as the Jupyter server, so the same
kernel-agent) and speaks ACP to it: the chat streams the answer, shows each command or
patch with Allow / Reject buttons (our approvals), and its stop button cancels the turn.
The agent's config.toml decides the model, the sandbox and the approval policy, as for
every other front end; the persona's system prompt is unused (the agent has its own).

Only Jupyter AI imports this module. When something it needs is missing it raises
`PersonaRequirementsUnmet`, which Jupyter AI logs as one line and skips the persona.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from jupyter_ai_persona_manager import PersonaDefaults, PersonaRequirementsUnmet

INSTALL_HINT = 'install it with `pip install "kernel-agent[jupyter-ai]"` and restart JupyterLab'

try:
    from jupyter_ai_acp_client.base_acp_persona import BaseAcpPersona
except ImportError as err:  # jupyter-ai without its ACP client, or an ACP SDK it can't use
    raise PersonaRequirementsUnmet(f"the kernel-agent persona needs jupyter-ai-acp-client ({err}); {INSTALL_HINT}") from None

AVATAR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static", "kernel-agent.svg")


def acp_command() -> list[str]:
    """The agent's ACP server, run by the Python that runs Jupyter (whose kernel-agent this is)."""
    return [sys.executable, "-m", "agent", "acp"]


def auth_problem(cwd: str | None = None) -> str | None:
    """Why the agent could not answer (its config is invalid, or it has no API key), or None."""
    from agent.core.api import CliOverrides, ConfigError, load_config, resolve_api_key

    try:
        config = load_config(CliOverrides(cwd=cwd))
        resolve_api_key(config.model_provider_id, config.model_provider, config.home, os.environ, **config.key_rules())
    except ConfigError as err:
        return f"kernel-agent's configuration is invalid: {err}"
    except Exception as err:  # MissingApiKey: its message says how to fix it (never the key)
        return str(err)
    return None


class KernelAgentPersona(BaseAcpPersona):
    """kernel-agent over ACP, one agent process shared by the chats of this server."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, executable=acp_command(), **kwargs)

    @property
    def defaults(self) -> PersonaDefaults:
        return PersonaDefaults(
            name="kernel-agent",
            description="A coding agent that runs commands and patches in a sandbox, asking before it acts.",
            avatar_path=AVATAR,
            system_prompt="unused",
        )

    async def is_authed(self) -> bool:
        return await asyncio.to_thread(auth_problem, self.get_chat_dir()) is None

    async def handle_message_no_auth(self, message: Any = None) -> None:
        await super().handle_message_no_auth(message)
        problem = await asyncio.to_thread(auth_problem, self.get_chat_dir()) or "kernel-agent is not set up yet."
        self.send_message(
            f"{problem}\n\n- Run `kernel-agent login` in a terminal (it stores the key in kernel-agent's "
            "home folder), or set the provider's API key variable before starting JupyterLab.\n"
            "- Then send your message again."
        )
