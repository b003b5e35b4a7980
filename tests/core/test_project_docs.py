"""AGENTS.md discovery and user instructions (spec §8.7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent.client.scripted import text_reply
from agent.core.project_docs import (
    discover_project_doc_paths,
    global_instructions,
    is_user_instructions,
    read_project_docs,
    user_instructions,
    user_instructions_message,
    wrap_user_instructions,
)
from agent.protocol import ops

from .conftest import collect_until, make_session


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """outside/AGENTS.md, repo/.git, repo/AGENTS.md, repo/a/AGENTS.md, repo/a/b (the cwd)."""
    write(tmp_path / "AGENTS.md", "outside the repository")
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root / "AGENTS.md", "root rules")
    write(root / "a" / "AGENTS.md", "a rules")
    (root / "a" / "b").mkdir()
    return root


def test_without_git_only_the_cwd_counts(tmp_path):
    write(tmp_path / "AGENTS.md", "parent")
    cwd = tmp_path / "work"
    write(cwd / "AGENTS.md", "here")
    assert discover_project_doc_paths(cwd) == [cwd.resolve() / "AGENTS.md"]
    assert read_project_docs(tmp_path / "nothing-here", 32768) is None


def test_from_the_git_root_down_to_the_cwd(repo):
    cwd = repo / "a" / "b"
    assert [p.parent for p in discover_project_doc_paths(cwd)] == [repo.resolve(), (repo / "a").resolve()]
    assert read_project_docs(cwd, 32768) == "root rules\n\na rules"


def test_override_is_preferred_and_one_file_per_directory(repo):
    write(repo / "a" / "AGENTS.override.md", "a override")
    write(repo / "a" / "b" / "AGENTS.md", "b rules")
    assert read_project_docs(repo / "a" / "b", 32768) == "root rules\n\na override\n\nb rules"


def test_nested_repository_and_git_file(repo):
    inner = repo / "a" / "inner"
    write(inner / ".git", "gitdir: /somewhere/else")  # a worktree or submodule: .git is a file
    write(inner / "AGENTS.md", "inner rules")
    (inner / "deeper").mkdir()
    assert read_project_docs(inner / "deeper", 32768) == "inner rules"  # the nearest root; the outer docs are out
    assert read_project_docs(inner, 32768) == "inner rules"


def test_fallback_names_symlinks_and_blank_files(repo):
    cwd = repo / "a" / "b"
    write(cwd / "CLAUDE.md", "fallback rules")
    assert read_project_docs(cwd, 32768, ["", "CLAUDE.md", "CLAUDE.md"]).endswith("\n\nfallback rules")
    (repo / "AGENTS.md").unlink()
    (repo / "AGENTS.md").symlink_to(repo / "a" / "AGENTS.md")
    write(repo / "a" / "AGENTS.md", "   \n")  # blank: skipped (and the link to it too)
    assert read_project_docs(cwd, 32768) is None


def test_budget_is_shared_and_cuts_the_file_that_overflows(repo):
    cwd = repo / "a" / "b"
    write(cwd / "AGENTS.md", "never read")
    assert read_project_docs(cwd, 14) == "root rules\n\na ru"  # 10 bytes + 4 of the second file
    assert read_project_docs(cwd, 10) == "root rules"
    assert read_project_docs(cwd, 0) is None  # 0 disables project docs


def test_budget_cut_never_splits_a_character(tmp_path):
    write(tmp_path / "AGENTS.md", "ééé")  # 6 bytes
    assert read_project_docs(tmp_path, 3) == "é"


def test_global_instructions_override_then_default_trimmed(tmp_path):
    home = tmp_path / "home"
    assert global_instructions(home) is None
    write(home / "AGENTS.md", "\n  global rules \n")
    assert global_instructions(home) == "global rules"
    write(home / "AGENTS.override.md", "  \n")
    assert global_instructions(home) == "global rules"
    write(home / "AGENTS.override.md", "override rules")
    assert global_instructions(home) == "override rules"


def test_combined_and_wrapped(config):
    assert user_instructions(config) is None and user_instructions_message(config) is None
    write(config.home / "AGENTS.md", "global")
    assert user_instructions(config) == "global"
    write(config.cwd / "AGENTS.md", "project")
    assert user_instructions(config) == "global\n\n--- project-doc ---\n\nproject"
    (config.home / "AGENTS.md").unlink()
    text = user_instructions_message(config).text()
    assert text == f"# AGENTS.md instructions for {config.cwd}\n\n<INSTRUCTIONS>\nproject\n</INSTRUCTIONS>"
    assert text == wrap_user_instructions("project", config.cwd)
    assert is_user_instructions(text) and is_user_instructions("<user_instructions>\nold\n</user_instructions>")
    assert not is_user_instructions("please read AGENTS.md")


async def test_initial_context_order_developer_agents_environment(config, client):
    write(config.cwd / "AGENTS.md", "use tabs")
    config = config.with_overrides(developer_instructions="be brief")
    client.add(text_reply("ok"))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("hello"))
    await collect_until(stream, {"task_complete"})
    sent = client.prompts[0].input
    assert [(m.role, m.text().split("\n")[0]) for m in sent] == [
        ("developer", "be brief"),
        ("user", f"# AGENTS.md instructions for {config.cwd}"),
        ("user", "<environment_context>"),
        ("user", "hello"),
    ]
