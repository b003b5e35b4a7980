"""`last_error`: the kernel's last exception, with its frames and their local variables.

Output: `Type: message`, then the traceback (most recent call last). Each frame is
classified by its file (`code_origin`): cells (`In[n]`, `<ipython-input-…>`,
`/tmp/ipykernel_*/…`) and the user's own files are *user* frames and show their local
variables (≤ 15 per frame, ≤ 200 characters each, no dunders or modules; a cell's top
level shows none: its locals are the namespace); library frames (site-packages, the
standard library) are marked `[library]`; IPython/ipykernel frames and this agent's own
frames are dropped. Long tracebacks keep their first and last frames. Chained exceptions
(`__cause__`, unsuppressed `__context__`) are summarised after it. The whole is
middle-truncated to ~12 KB.

Secrets are masked (secret_mask.py): key-shaped strings in the message, source lines and
locals, and the whole value of a secret-named string local (`password = '…'`); each
local is masked on its own (a name the user allowed is shown as is), and the output ends
with `[masked: … in local `x` of `f`]`.
"""

from __future__ import annotations

import linecache
import os
import re
import sysconfig
import types
from dataclasses import dataclass
from typing import Any, Literal

from .base import ToolCall, ToolContext, ToolResult, function_spec
from .kernel_access import KernelAccess, cut, safe_repr
from .secret_mask import MaskScope, SecretMasker, secret_value_kind
from .truncate import TruncationPolicy, truncate_text

NO_ERROR = "No error has been raised in this kernel yet."
OUTPUT_BUDGET = 12_000
MAX_LOCALS = 15
LOCAL_CHARS = 200
HEAD_FRAMES, TAIL_FRAMES = 3, 15
MAX_CHAIN = 5

DESCRIPTION = (
    "Shows the last exception raised in the user's kernel (e.g. by the cell that just failed): its type and "
    "message, the traceback frames with source lines, the local variables of the user's own frames, and "
    "chained exceptions. Use it when the user asks to fix an error."
)

Origin = Literal["cell", "user", "library", "internal"]
_CELL_FILE = re.compile(r"^<ipython-input-\d+-[0-9a-f]+>$|[\\/]ipykernel_\d+[\\/][^\\/]+\.py$|^<run_python-\d+>$")
_INTERNAL_PARTS = (f"{os.sep}IPython{os.sep}", f"{os.sep}ipykernel{os.sep}", os.path.dirname(os.path.abspath(__file__)) + os.sep)


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths.get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(sorted(os.path.normcase(os.path.abspath(p)) + os.sep for p in roots if p))


_LIBRARY_ROOTS = _library_roots()


def code_origin(filename: str, access: KernelAccess) -> tuple[Origin, str]:
    """Where code from `filename` comes from, and how to name it (`In[3]` for a known cell)."""
    label = access.cell_label(filename)
    if label:
        return "cell", label
    if _CELL_FILE.search(filename):
        return "cell", filename
    if any(part in filename for part in _INTERNAL_PARTS):
        return "internal", filename
    normalized = os.path.normcase(os.path.abspath(filename)) if os.path.isabs(filename) else filename
    if filename.startswith("<") or normalized.startswith(_LIBRARY_ROOTS) or "site-packages" in filename or "dist-packages" in filename:
        return "library", filename
    return "user", filename


@dataclass(frozen=True)
class FrameView:
    origin: Origin
    where: str
    line: int
    function: str
    source: str
    local_vars: dict[str, Any] | None


class LastErrorTool:
    name = "last_error"
    supports_parallel = True

    def __init__(self, access: KernelAccess, masker: SecretMasker | None = None):
        self.access = access
        self.masker = masker or SecretMasker()

    def spec(self) -> dict[str, Any]:
        return function_spec(self.name, DESCRIPTION, {}, [])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        call.json_arguments()
        error = self.access.last_exception()
        if error is None:
            return ToolResult(NO_ERROR)
        scope = self.masker.scope("the traceback", namespace=self.access.user_namespace())
        with scope.active():
            text = describe_exception(error, self.access, scope)
        return ToolResult(scope.finish(truncate_text(text, TruncationPolicy("bytes", OUTPUT_BUDGET))))


def describe_exception(error: BaseException, access: KernelAccess, scope: MaskScope | None = None) -> str:
    """The full report: the exception, its frames, then its chain; secrets masked."""
    scope = scope or SecretMasker().scope("the traceback")
    head = [_headline(error)]
    if isinstance(error, SyntaxError) and error.text:
        head += [f"    {error.text.rstrip()}", "    " + " " * max((error.offset or 1) - 1, 0) + "^"]
    head += ["", "Traceback (most recent call last):"]
    frames = _frames_text(frames_of(error.__traceback__, access), scope)
    chain = _chain_text(error, access)
    return "\n".join([*map(scope.mask, head), *frames, *map(scope.mask, chain)])


def frames_of(tb: types.TracebackType | None, access: KernelAccess) -> list[FrameView | int]:
    """The shown frames, outermost first; an int stands for that many omitted frames."""
    views: list[FrameView] = []
    while tb is not None:
        view = _frame_view(tb, access)
        if view.origin != "internal":
            views.append(view)
        tb = tb.tb_next
    if len(views) <= HEAD_FRAMES + TAIL_FRAMES:
        return list(views)
    omitted = len(views) - HEAD_FRAMES - TAIL_FRAMES
    return [*views[:HEAD_FRAMES], omitted, *views[-TAIL_FRAMES:]]


def _frame_view(tb: types.TracebackType, access: KernelAccess) -> FrameView:
    frame, lineno = tb.tb_frame, tb.tb_lineno
    code = frame.f_code
    origin, where = code_origin(code.co_filename, access)
    source = linecache.getline(code.co_filename, lineno, frame.f_globals).strip()
    top_level = code.co_name == "<module>"
    local_vars = dict(frame.f_locals) if origin in ("cell", "user") and not top_level else None
    return FrameView(origin, where, lineno, code.co_name, source, local_vars)


def _frames_text(frames: list[FrameView | int], scope: MaskScope) -> list[str]:
    lines: list[str] = []
    for frame in frames:
        if isinstance(frame, int):
            lines.append(f"  … {frame} frames omitted …")
            continue
        mark = "[library] " if frame.origin == "library" else ""
        lines.append(f"  {mark}{frame.where}, line {frame.line}, in {frame.function}")
        if frame.source:
            lines.append(scope.mask(f"    {cut(frame.source, 300)}"))
        lines += locals_lines(frame.local_vars, scope, frame.function)
    return lines


def locals_lines(local_vars: dict[str, Any] | None, scope: MaskScope | None = None, function: str = "") -> list[str]:
    """`name = repr` lines for a user frame's variables (bounded), each masked on its own."""
    if not local_vars:
        return []
    scope = scope or SecretMasker().scope()
    shown = [(k, v) for k, v in local_vars.items() if not (k.startswith("__") and k.endswith("__"))
             and not isinstance(v, types.ModuleType)]
    lines = ["    locals:"]
    for name, value in shown[:MAX_LOCALS]:
        with scope.at(f"local `{name}` of `{function}`", name=name):
            kind = secret_value_kind(name, value)
            if kind and scope.enabled:
                shown_value = scope.mask_whole(kind)
            else:
                shown_value = scope.mask(safe_repr(value, LOCAL_CHARS, level=2, items=8, string=120, other=LOCAL_CHARS))
        lines.append(f"      {name} = {shown_value}")
    if len(shown) > MAX_LOCALS:
        lines.append(f"      … {len(shown) - MAX_LOCALS} more")
    return lines


def _headline(error: BaseException) -> str:
    message = _message(error)
    name = type(error).__qualname__
    return f"{name}: {message}" if message else name


def _message(error: BaseException) -> str:
    try:
        return cut(str(error), 2000)
    except Exception as err:  # noqa: BLE001 - a failing __str__ must not break the report
        return f"<str() raised {type(err).__name__}>"


def _chain_text(error: BaseException, access: KernelAccess) -> list[str]:
    """One summary per chained exception: how it relates, what it was, where it was raised."""
    lines: list[str] = []
    seen = {id(error)}
    current: BaseException | None = error
    for _ in range(MAX_CHAIN):
        link, relation = _next_link(current)
        if link is None or id(link) in seen:
            break
        seen.add(id(link))
        lines += ["", f"{relation}: {_headline(link)}"]
        last = next((f for f in reversed(frames_of(link.__traceback__, access)) if isinstance(f, FrameView)), None)
        if last is not None:
            lines.append(f"  raised at {last.where}, line {last.line}, in {last.function}: {cut(last.source, 200)}")
        current = link
    return lines


def _next_link(error: BaseException | None) -> tuple[BaseException | None, str]:
    if error is None:
        return None, ""
    if error.__cause__ is not None:
        return error.__cause__, "Caused by (raise … from)"
    if error.__context__ is not None and not error.__suppress_context__:
        return error.__context__, "Raised while handling"
    return None, ""
