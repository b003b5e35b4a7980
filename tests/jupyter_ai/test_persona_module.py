"""The persona module as Jupyter AI loads it, in the venv that has Jupyter AI
(jai_venv.py): the entry point names the class, and a persona without a usable config or
key says so in one line (what the chat shows) instead of starting the agent."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from .jai_venv import ensure_venv

pytestmark = pytest.mark.timeout(300)

PROBE = """
import json, sys
from importlib.metadata import entry_points
found = [e for e in entry_points().select(group="jupyter_ai.personas") if e.name == "kernel-agent"]
cls = found[0].load()
from jupyter_ai_acp_client.base_acp_persona import BaseAcpPersona
from agent.frontends.acp.jupyter_ai_persona import acp_command, auth_problem
print(json.dumps({"subclass": issubclass(cls, BaseAcpPersona), "name": cls.__name__,
                  "command": acp_command(), "python": sys.executable, "problem": auth_problem(sys.argv[1])}))
"""


def probe(home, cwd, **env_extra):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "PERSONA_TEST_KEY")}
    env.update(KERNEL_AGENT_HOME=str(home), **env_extra)
    python = str(ensure_venv() / "python")
    out = subprocess.run([python, "-c", PROBE, str(cwd)], capture_output=True, text=True, env=env, timeout=120, check=True)
    return json.loads(out.stdout)


def write_config(home, text):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)


CONFIG = ('model_provider = "scripted"\n[model_providers.scripted]\nname = "scripted"\n'
          'base_url = "http://127.0.0.1:9/v1"\nwire_api = "responses"\nenv_key = "PERSONA_TEST_KEY"\n')


def test_the_entry_point_is_a_base_acp_persona_running_this_environments_agent(tmp_path):
    write_config(tmp_path / "home", CONFIG)
    seen = probe(tmp_path / "home", tmp_path, PERSONA_TEST_KEY="sk-persona-test-0123456789")
    assert seen["subclass"] and seen["name"] == "KernelAgentPersona"
    assert seen["command"] == [seen["python"], "-m", "agent", "acp"]
    assert seen["problem"] is None  # control: configured and keyed, so the agent starts


def test_a_missing_key_or_a_bad_config_is_one_line_for_the_chat(tmp_path):
    write_config(tmp_path / "home", CONFIG)
    missing = probe(tmp_path / "home", tmp_path)["problem"]
    assert "PERSONA_TEST_KEY" in missing and "\n" not in missing and "Traceback" not in missing
    write_config(tmp_path / "bad", 'approval_policy = "sometimes"\n')
    bad = probe(tmp_path / "bad", tmp_path)["problem"]
    assert bad.startswith("kernel-agent's configuration is invalid:") and "approval_policy" in bad and "\n" not in bad
