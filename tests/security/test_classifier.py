"""The safe-command classifier and the dangerous-command check against a hostile model
(issue 9, hole 5): unit regressions, generated spellings (hypothesis), and end to end.

Invariants:
* "known safe" (no approval under `untrusted`) only for a bare program name resolved
  through PATH, with no option, sed command, find action, rg preprocessor or git option
  that writes a file or runs another program, in every spelling the program accepts;
* "might be dangerous" (asks under `on-request`) for every spelling of a forced or
  recursive `rm`, a work-discarding git command after any global options, `find -delete`
  or `-exec rm`, under wrappers (sudo/env/nice/timeout/xargs) and inside shell scripts.

Every attack is paired with a legitimate control that must stay safe / not dangerous.
"""

from __future__ import annotations

import shlex

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.tools.command_safety import command_might_be_dangerous, is_known_safe_command

from .conftest import bash, shell

PROPERTY = settings(derandomize=True, max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ regressions (unit)

NOT_SAFE = [
    ["sed", "-n", "1p", "-ew FILE"],
    ["sed", "-n", "1p", "--expression=w FILE"],
    ["sed", "-n", "1p", "-e", "w FILE"],
    ["sed", "-n", "1p", "-i", "f"],
    ["sed", "-n", "1p", "--in-place=.bak"],
    ["sed", "-n", "1p", "-s"],
    ["sed", "-n", "1p", "-f", "script.sed"],
    ["sed", "-n", "1w out"],
    ["sed", "-n", "1p;w out", "f"],
    ["sed", "-n", "1e id", "f"],
    ["sed", "-n", "1r /etc/passwd", "f"],
    ["sed", "-n", "1p\n", "f"],
    ["./tools/cat", "README"],
    ["/srv/evil/ls"],
    ["bin/ls"],
    ["tools/cat", "x"],
    ["bash", "-lc", "./tools/cat README"],
    ["bash", "-lc", "ls && bin/cat x"],
    ["bash", "-lc", "'./cat' x"],
    ["find", ".", "-fprint", "/tmp/x"],
    ["find", ".", "-fprintf", "x", "%p"],
    ["find", ".", "-execdir", "sh", "-c", "id", ";"],
    ["find", ".", "-okdir", "rm", "{}", ";"],
    ["rg", "--pre", "sh", "x"],
    ["rg", "--pre=./evil", "x"],
    ["rg", "--pr=./evil", "x"],
    ["rg", "--hostname-bin=./evil", "x"],
    ["rg", "-nz", "x"],
    ["rg", "--search-zip", "x"],
    ["git", "-c", "core.pager=touch /tmp/p", "log"],
    ["git", "-C", ".", "log"],
    ["git", "--git-dir=/tmp/x", "status"],
    ["git", "-p", "log"],
    ["git", "--paginate", "log"],
    ["git", "--config-env=core.pager=X", "log"],
    ["git", "log", "--output=/tmp/x"],
    ["git", "log", "--out=/tmp/x"],
    ["git", "diff", "--ext-diff"],
    ["git", "show", "--textconv", "HEAD:x"],
    ["git", "log", "--show-signature"],
    ["git", "branch", "-D", "main"],
    ["bash", "-lc", "sed -n 1p *"],
    ["bash", "-lc", "find . -name *"],
    ["bash", "-lc", "cat x > y"],
    ["bash", "-lc", "cat x | sh"],
    ["bash", "-lc", "echo $(touch x)"],
    ["cargo", "check"],
]

STILL_SAFE = [
    ["cat", "README"],
    ["sed", "-n", "1,5p", "file"],
    ["sed", "-n", "12p", "file.txt"],
    ["sed", "-n", "3p"],
    ["ls", "-la"],
    ["find", ".", "-name", "*.py", "-type", "f"],
    ["rg", "-n", "needle", "src"],
    ["rg", "--pretty", "--pre-glob", "*.pdf", "x"],
    ["rg", "-g", "*.py", "x"],
    ["git", "log", "--oneline", "-5"],
    ["git", "log", "--output-indicator-new=+"],
    ["git", "diff", "--no-ext-diff", "HEAD~1"],
    ["git", "status", "--porcelain"],
    ["bash", "-lc", "cat README && sed -n 1,5p file | wc -l"],
    ["bash", "-lc", "ls *.py"],
    ["bash", "-lc", "find . -name '*.py'"],
    ["zsh", "-lc", "grep -rn TODO ."],
]


@pytest.mark.parametrize("argv", NOT_SAFE, ids=shlex.join)
def test_writing_or_executing_forms_are_not_known_safe(argv):
    """Invariant: no writing/executing spelling is "known safe" (hole 5)."""
    assert not is_known_safe_command(argv)


@pytest.mark.parametrize("argv", STILL_SAFE, ids=shlex.join)
def test_read_only_controls_stay_known_safe(argv):
    """Control: plain reads keep running without approval."""
    assert is_known_safe_command(argv)


DANGEROUS = [
    ["rm", "-r", "-f", "x"],
    ["rm", "--recursive", "--force", "x"],
    ["rm", "-fr", "x"],
    ["rm", "-Rf", "x"],
    ["rm", "x", "-rf"],
    ["rm", "-v", "-i", "-R", "x"],
    ["rm", "--forc", "x"],
    ["rm", "--no-preserve-root", "-r", "/"],
    ["git", "-C", ".", "reset", "--hard"],
    ["git", "--git-dir=x", "reset"],
    ["git", "-c", "a=b", "rm", "x"],
    ["git", "clean", "-fdx"],
    ["git", "checkout", "--", "."],
    ["git", "push", "--force", "origin", "main"],
    ["git", "push", "origin", "+main"],
    ["git", "stash", "drop"],
    ["find", ".", "-delete"],
    ["find", ".", "-name", "*.py", "-exec", "rm", "{}", "+"],
    ["find", ".", "-execdir", "/bin/rm", "-f", "{}", ";"],
    ["sudo", "-u", "root", "rm", "-rf", "/"],
    ["env", "A=1", "rm", "-rf", "x"],
    ["nice", "-n", "5", "git", "reset", "--hard"],
    ["timeout", "10", "find", ".", "-delete"],
    ["xargs", "rm"],
    ["xargs", "-0", "rm", "-f"],
    ["busybox", "rm", "-rf", "x"],
    ["bash", "-lc", "rm -r -f x"],
    ["bash", "-lc", "cd sub && git -C .. reset --hard"],
    ["bash", "-lc", "find . -print0 | xargs -0 rm"],
    ["bash", "-lc", "rm -rf build > /dev/null 2>&1"],
    ["bash", "-lc", "echo $(rm -rf x)"],
    ["bash", "-lc", "echo \"`rm -rf x`\""],
    ["bash", "-lc", "if true; then rm -rf x; fi"],
    ["bash", "-lc", "A=1 rm -rf x"],
    ["sh", "-c", "bash -c 'rm -rf x'"],
    ["bash", "-e", "-c", "git reset --hard"],
]

NOT_DANGEROUS = [
    ["rm", "x"],
    ["rm", "--", "-rf"],
    ["git", "status"],
    ["git", "-C", ".", "log"],
    ["git", "commit", "-m", "rm -rf"],
    ["git", "checkout", "main"],
    ["git", "push", "origin", "main"],
    ["find", ".", "-name", "*.py"],
    ["find", ".", "-exec", "cat", "{}", ";"],
    ["echo", "rm", "-rf", "/"],
    ["xargs", "cat"],
    ["bash", "-lc", "echo 'rm -rf /'"],
    ["bash", "-lc", "ls && cat x"],
]


@pytest.mark.parametrize("argv", DANGEROUS, ids=shlex.join)
def test_destructive_spellings_might_be_dangerous(argv):
    """Invariant: every spelling of a destructive command asks under on-request (hole 5)."""
    assert command_might_be_dangerous(argv)


@pytest.mark.parametrize("argv", NOT_DANGEROUS, ids=shlex.join)
def test_harmless_lookalikes_are_not_dangerous(argv):
    """Control: look-alikes of destructive commands do not ask."""
    assert not command_might_be_dangerous(argv)


# ------------------------------------------------------------------ properties

paths = st.sampled_from(["f", "a.txt", "src/x.py", "/tmp/out", "-", "victim", "w", "p"])
line_numbers = st.integers(0, 999).map(str)
sed_ranges = st.one_of(line_numbers.map(lambda n: n + "p"), st.tuples(line_numbers, line_numbers).map(lambda t: f"{t[0]},{t[1]}p"))


@st.composite
def sed_writes(draw) -> list[str]:
    """sed with a w/W/e/r/R command, or an option that edits, writes or reads a script,
    in every spelling (separate, attached, long, `=`), anywhere in the argv."""
    command = draw(st.sampled_from(["w", "W", "e", "r", "R"]))
    target = draw(paths)
    script = draw(st.sampled_from([f"{command} {target}", f"{command}{target}", f"1{command} {target}",
                                   f"1p;{command} {target}", f"1,2{command} {target}", f"1p\n{command} {target}"]))
    injected = draw(st.sampled_from([
        ["-e", script], [f"-e{script}"], [f"--expression={script}"], ["--expression", script], [script],
        ["-i"], ["-i.bak"], ["--in-place"], ["--in-place=.bak"], ["-s"], ["-f", target], [f"--file={target}"],
        ["-ni"], ["-E", "-i"], ["-z"], ["--debug"], [f"-{command}"],
    ]))
    base = ["sed", "-n", draw(sed_ranges)]
    # A bare script word after the range would only be a file name, so it goes first.
    position = 2 if injected == [script] else draw(st.integers(1, len(base)))
    extra_file = draw(st.sampled_from([[], ["file.txt"]]))
    return base[:position] + injected + base[position:] + extra_file


@st.composite
def find_actions(draw) -> list[str]:
    action = draw(st.sampled_from([
        ["-exec", "rm", "{}", ";"], ["-exec", "sh", "-c", "id", "{}", "+"], ["-execdir", "python3", "{}", ";"],
        ["-ok", "rm", "{}", ";"], ["-okdir", "rm", "{}", ";"], ["-delete"], ["-fprint", "out"],
        ["-fprint0", "out"], ["-fprintf", "out", "%p"], ["-fls", "out"],
    ]))
    before = draw(st.sampled_from([[], ["-name", "*.py"], ["-type", "f"], ["-maxdepth", "2"]]))
    return ["find", draw(st.sampled_from([".", "src", "/"])), *before, *action]


@st.composite
def rg_preprocessors(draw) -> list[str]:
    option = draw(st.sampled_from([
        ["--pre", "./evil"], ["--pre=./evil"], ["--pr=./evil"], ["--hostname-bin", "./evil"],
        ["--hostname-bin=./evil"], ["--hostname=./evil"], ["--search-zip"], ["--search-z"], ["-z"], ["-nz"],
        ["-zn"], ["-iuz"],
    ]))
    position = draw(st.integers(0, 2))
    rest = ["needle", "src"]
    return ["rg", *rest[:position], *option, *rest[position:]]


@st.composite
def git_writes(draw) -> list[str]:
    sub = draw(st.sampled_from(sorted(["log", "diff", "show", "status", "branch"])))
    kind = draw(st.sampled_from(["global", "after"]))
    if kind == "global":
        option = draw(st.sampled_from([
            ["-c", "core.pager=touch /tmp/p"], ["-c", "diff.external=./x"], ["--config-env=core.pager=P"],
            ["-C", "/tmp"], ["--git-dir=/tmp/g"], ["--work-tree=/"], ["-p"], ["--paginate"], ["--exec-path=/tmp"],
        ]))
        return ["git", *option, sub]
    option = draw(st.sampled_from([
        ["--output=/tmp/x"], ["--output", "/tmp/x"], ["--outp=/tmp/x"], ["--out=/tmp/x"], ["--ext-diff"],
        ["--ext-d"], ["--textconv"], ["--exec=./x"], ["--show-signature"], ["-o", "/tmp/x"], ["-o/tmp/x"],
    ]))
    if sub == "branch":
        option = draw(st.sampled_from([option, ["-D", "main"], ["-m", "a", "b"], ["new-branch"], ["-u", "x"]]))
    return ["git", sub, *option]


path_qualified = st.tuples(
    st.sampled_from(["./", "/srv/evil/", "bin/", "tools/", "../", "/usr/bin/", "./."]),
    st.sampled_from(["cat", "ls", "grep", "head", "tail", "echo", "wc", "git", "rg", "sed", "find", "bash"]),
).map(lambda t: t[0] + t[1])


@st.composite
def path_programs(draw) -> list[str]:
    program = draw(path_qualified)
    args = {"git": ["status"], "sed": ["-n", "1p", "f"], "bash": ["-lc", "ls"]}.get(program.rsplit("/", 1)[1], ["x"])
    return [program, *args]


safe_script_commands = st.sampled_from(["ls", "cat README", "git status", "sed -n 1,5p f", "rg -n x", "wc -l f"])


@st.composite
def unsafe_scripts(draw) -> list[str]:
    """A plain safe script with one non-plain construct or one unsafe command added."""
    left, right = draw(safe_script_commands), draw(safe_script_commands)
    twist = draw(st.sampled_from([
        f"{left} > out", f"{left} >> out", f"{left} 2> err", f"{left} | sh", f"{left} | bash", f"{left} | tee out",
        f"echo $(touch x) && {left}", f"echo `touch x`; {left}", f'echo "$(touch x)"', f"{left} & {right}",
        f"({left})", f"{{ {left}; }}", f"X=1 {left}", f"{left} <<< x", f"./tools/cat x && {left}",
        f"{left} && sed -n 1p -ew f", f"{left}; find . -delete", f"{left} | rg --pre ./e x",
        f"git -c core.pager=x log; {right}", f"{left} && sed -n 1p *",
    ]))
    shell_name, flag = draw(st.sampled_from(["bash", "zsh", "sh"])), draw(st.sampled_from(["-lc", "-c"]))
    return [shell_name, flag, twist]


@PROPERTY
@given(st.one_of(sed_writes(), find_actions(), rg_preprocessors(), git_writes(), path_programs(), unsafe_scripts()))
def test_generated_writing_forms_are_never_known_safe(argv):
    """Invariant (property): safe programs combined with writing/executing flags, path-
    qualified program names and non-plain shell scripts are never "known safe"."""
    assert not is_known_safe_command(argv), argv


@st.composite
def rm_spellings(draw) -> list[str]:
    flag = draw(st.sampled_from([
        ["-r", "-f"], ["-f", "-r"], ["-rf"], ["-fr"], ["-Rf"], ["-fR"], ["-R"], ["-r"], ["-f"],
        ["--recursive"], ["--force"], ["--recursive", "--force"], ["--rec"], ["--forc"], ["-vrf"], ["-ivR"],
        ["-d", "-r"], ["--no-preserve-root", "-r"],
    ]))
    operands = ["build", "/"][: draw(st.integers(1, 2))]
    position = draw(st.integers(0, len(operands)))
    prefix = draw(st.sampled_from([["rm"], ["/bin/rm"], ["rm", "-v"], ["rm", "-i"]]))
    return [*prefix, *operands[:position], *flag, *operands[position:]]


@st.composite
def git_discards(draw) -> list[str]:
    globals_ = draw(st.sampled_from([[], ["-C", "."], ["--git-dir=x"], ["-c", "a=b"], ["--no-pager"], ["-C", "/", "-p"]]))
    sub = draw(st.sampled_from([["reset", "--hard"], ["reset"], ["rm", "-r", "x"], ["clean", "-fdx"],
                                ["checkout", "--", "."], ["restore", "."], ["push", "-f"], ["push", "origin", "+main"],
                                ["branch", "-D", "x"], ["stash", "clear"]]))
    return [draw(st.sampled_from(["git", "/usr/bin/git"])), *globals_, *sub]


@st.composite
def find_deletes(draw) -> list[str]:
    action = draw(st.sampled_from([["-delete"], ["-exec", "rm", "{}", ";"], ["-exec", "rm", "-f", "{}", "+"],
                                   ["-execdir", "rm", "{}", ";"], ["-ok", "/bin/rm", "{}", ";"]]))
    return ["find", ".", *draw(st.sampled_from([[], ["-name", "*.tmp"]])), *action]


@st.composite
def wrapped_dangers(draw) -> list[str]:
    inner = draw(st.one_of(rm_spellings(), git_discards(), find_deletes()))
    wrapper = draw(st.sampled_from([["sudo"], ["sudo", "-u", "root"], ["env"], ["env", "A=1"], ["nice", "-n", "5"],
                                    ["timeout", "5"], ["timeout", "-s", "KILL", "5"], ["nohup"], ["xargs"],
                                    ["xargs", "-0"], ["stdbuf", "-o0"], ["busybox"], []]))
    argv = [*wrapper, *inner]
    style = draw(st.sampled_from(["argv", "script", "script-chained", "script-redirect", "script-subst"]))
    if style == "argv":
        return argv
    script = shlex.join(argv)
    script = {"script": script, "script-chained": f"ls && {script}", "script-redirect": f"{script} > /dev/null 2>&1",
              "script-subst": f"echo $({script})"}[style]
    return [draw(st.sampled_from(["bash", "sh", "zsh"])), draw(st.sampled_from(["-lc", "-c"])), script]


@PROPERTY
@given(wrapped_dangers())
def test_generated_dangerous_spellings_always_might_be_dangerous(argv):
    """Invariant (property): every generated spelling of rm -r/-f, git reset/rm/clean/...,
    find -delete/-exec rm, wrapped or in a script, "might be dangerous"."""
    assert command_might_be_dangerous(argv), argv


# ------------------------------------------------------------------ end to end


def test_repository_script_named_cat_asks_under_untrusted(agent, mechanism):
    """Invariant: a program given by path (`./tools/cat`) is never known safe, so under
    `untrusted` it needs an approval; without a terminal that is a denial and it never
    runs. Control: the real `cat README` runs without asking."""
    agent.mechanism, agent.approval = mechanism, "untrusted"
    tools = agent.work / "tools"
    tools.mkdir(parents=True)
    script = tools / "cat"
    script.write_text(f"#!/bin/sh\ntouch {agent.work}/marker\n")
    script.chmod(0o755)
    (agent.work / "README").write_text("read me\n")
    result = agent.run(tool_calls=[shell(["./tools/cat", "README"]), bash("tools/cat README"), shell(["cat", "README"])])
    assert result.proc.returncode == 0, result.proc.stderr
    assert not (agent.work / "marker").exists()
    assert "rejected by user" in agent.output_of("call_0") and "rejected by user" in agent.output_of("call_1")
    assert "read me" in agent.output_of("call_2")


def test_sed_write_command_cannot_truncate_a_file(agent, mechanism):
    """Invariant: `sed -n 1p -ew FILE` / `--expression=w FILE` are not known safe, so under
    `untrusted` they are denied (no terminal) and FILE keeps its content. Control:
    `sed -n 1,5p file` still runs without asking."""
    agent.mechanism, agent.approval = mechanism, "untrusted"
    victim = agent.work / "victim.txt"
    agent.work.mkdir(parents=True)
    victim.write_text("precious\n")
    (agent.work / "file").write_text("one\ntwo\n")
    result = agent.run(tool_calls=[
        shell(["sed", "-n", "1p", f"-ew {victim}"]),
        shell(["sed", "-n", "1p", f"--expression=w {victim}"]),
        shell(["sed", "-n", "1,5p", "file"]),
    ])
    assert result.proc.returncode == 0, result.proc.stderr
    assert victim.read_text() == "precious\n"
    assert "one\ntwo" in agent.output_of("call_2")


def test_dangerous_spellings_ask_under_on_request(agent, mechanism):
    """Invariant: `rm -r -f`, `rm --recursive --force`, `git -C . reset --hard` and
    `find . -delete` ask under `on-request` (denied without a terminal), so nothing is
    deleted. Control: a plain `rm one-file` still runs without asking."""
    agent.mechanism, agent.approval = mechanism, "on-request"
    for name in ("a", "b", "c"):
        (agent.work / name).mkdir(parents=True)
        (agent.work / name / "keep.txt").write_text("keep\n")
    (agent.work / "plain.txt").write_text("x")
    result = agent.run(tool_calls=[
        shell(["rm", "-r", "-f", "a"]),
        shell(["rm", "--recursive", "--force", "b"]),
        shell(["find", "c", "-delete"]),
        shell(["git", "-C", ".", "reset", "--hard"]),
        shell(["rm", "plain.txt"]),
    ])
    assert result.proc.returncode == 0, result.proc.stderr
    for name in ("a", "b", "c"):
        assert (agent.work / name / "keep.txt").exists(), name
    assert all("rejected by user" in agent.output_of(f"call_{i}") for i in range(4)), agent.tool_outputs()
    assert not (agent.work / "plain.txt").exists()
