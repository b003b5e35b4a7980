"""The kernel seam: what the kernel-aware tools may read from, and run in, the user's kernel.

`KernelAccess` is implemented by the notebook front end around IPython's shell
(`IPythonKernelAccess`, duck-typed: IPython is never imported here) and by tests and the
plain-Python API with a dict (`NamespaceKernelAccess`). `PythonRunner` executes code in
the user's namespace (see run_python.py for the threaded implementation).

Also here, shared by the tools: `safe_repr` (a bounded `reprlib` whose instance reprs
report a raising `__repr__` instead of failing; inside `with repr_masking(mask):` every
string and instance repr goes through `mask` before it is cut, see secret_mask.py) and
`rich_text` (one text out of a MIME bundle).
"""

from __future__ import annotations

import builtins
import collections
import contextlib
import contextvars
import itertools
import json
import reprlib
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

OutputCallback = Callable[[str, str], Awaitable[None]]
"""`on_output(stream, text)`: live output of a run; stream is "stdout" or "stderr"."""

IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})
"""Names IPython puts in every user namespace; never listed as user variables."""


@dataclass(frozen=True)
class HistoryEntry:
    """One executed cell: its execution number, source and `Out[n]` text (None: no value)."""

    n: int
    source: str
    output_text: str | None = None


@dataclass(frozen=True)
class RunOutcome:
    """What one `PythonRunner.run` produced.

    `result_text` is the rich text of the last expression's value (None when the code did
    not end with an expression or it was None); `error` is a formatted traceback;
    `interrupted` means the run was stopped (by a timeout when `timed_out`)."""

    stdout: str = ""
    stderr: str = ""
    result_text: str | None = None
    displays: list[str] = field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0
    interrupted: bool = False
    timed_out: bool = False


class KernelAccess(Protocol):
    """Read access to the user's kernel. Every method must be cheap and must not run user code."""

    def user_namespace(self) -> Mapping[str, Any]:
        """The user's globals (the live dict: run_python executes in it)."""

    def hidden_names(self) -> set[str]:
        """Names the kernel itself defined (In, Out, _i1, …) that are not user variables."""

    def last_exception(self) -> BaseException | None:
        """The exception the last failing cell raised, with its `__traceback__`; None if none."""

    def history(self, last_n: int) -> list[HistoryEntry]:
        """The last `last_n` executed cells, oldest first."""

    def format_rich(self, obj: Any) -> dict[str, str]:
        """MIME type -> text for `obj` (non-text MIME types map to a short placeholder)."""

    def cell_label(self, filename: str) -> str | None:
        """`In[n]` when `filename` is the code-object filename of executed cell n, else None."""


class PythonRunner(Protocol):
    """Runs code in the user's namespace."""

    async def run(self, code: str, on_output: OutputCallback, timeout_s: float | None) -> RunOutcome:
        """Run `code`, streaming output to `on_output`; stop it after `timeout_s` (None: no limit).
        Cancelling the awaiting task interrupts the code and re-raises CancelledError."""


_REPR_MASK: contextvars.ContextVar[Callable[[str], str] | None] = contextvars.ContextVar("repr_mask", default=None)


@contextlib.contextmanager
def repr_masking(mask: Callable[[str], str]) -> Iterator[None]:
    """While active (in this context), `safe_repr` passes every string through `mask`
    before cutting it."""
    token = _REPR_MASK.set(mask)
    try:
        yield
    finally:
        _REPR_MASK.reset(token)


_MASK_MARGIN = 4096
"""Characters beyond what a cut keeps that are still masked (a key straddling the cut)."""


def masked_ends(mask: Callable[[str], str], text: str, keep: int) -> str:
    """`text` masked where a middle cut to `keep` characters can show it: all of it when
    short, else its two ends, joined by `...` (the middle is never shown)."""
    edge = keep + _MASK_MARGIN
    if len(text) <= 2 * edge:
        return mask(text)
    return mask(text[:edge]) + "..." + mask(text[-edge:])


def _masked(text: str, keep: int) -> str:
    mask = _REPR_MASK.get()
    return text if mask is None else masked_ends(mask, text, keep)


class BoundedRepr(reprlib.Repr):
    """`reprlib.Repr` that never sorts or walks a whole container, formats container
    subclasses like their base, and reports a `__repr__` that raises."""

    _BASES = ((dict, "repr_dict"), (list, "repr_list"), (tuple, "repr_tuple"), (set, "repr_set"),
              (frozenset, "repr_frozenset"), (collections.deque, "repr_deque"))

    def __init__(self, *, level: int = 2, items: int = 6, string: int = 80, other: int = 200):
        super().__init__()
        self.maxlevel = level
        self.maxtuple = self.maxlist = self.maxarray = self.maxset = self.maxfrozenset = self.maxdeque = items
        self.maxdict = items
        self.maxstring = string
        self.maxlong = min(string, 100)
        self.maxother = other

    def repr1(self, x: Any, level: int) -> str:
        for base, method in self._BASES:
            if isinstance(x, base) and not hasattr(type(x), "_fields"):
                text = getattr(self, method)(x, level)
                return text if type(x) is base else f"{type(x).__name__}({text})"
        return super().repr1(x, level)

    def repr_dict(self, x: dict, level: int) -> str:
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        pieces = [f"{self.repr1(k, level - 1)}: {self.repr1(v, level - 1)}" for k, v in itertools.islice(x.items(), self.maxdict)]
        if len(x) > self.maxdict:
            pieces.append("...")
        return "{" + ", ".join(pieces) + "}"

    def repr_set(self, x: set, level: int) -> str:
        return self._unsorted(x, level, "{", "}", "set()")

    def repr_frozenset(self, x: frozenset, level: int) -> str:
        return self._unsorted(x, level, "frozenset({", "})", "frozenset()")

    def _unsorted(self, x: Any, level: int, left: str, right: str, empty: str) -> str:
        if not x:
            return empty
        if level <= 0:
            return left + "..." + right
        pieces = [self.repr1(item, level - 1) for item in itertools.islice(x, self.maxset)]
        if len(x) > self.maxset:
            pieces.append("...")
        return left + ", ".join(pieces) + right

    def repr_str(self, x: str, level: int) -> str:
        return super().repr_str(_masked(x, self.maxstring), level)

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            text = builtins.repr(x)
        except Exception as err:  # noqa: BLE001 - any failing __repr__ is reported, not raised
            return f"<{type(x).__name__} object: repr() raised {type(err).__name__}: {cut(str(err), 100)}>"
        return cut(_masked(text, self.maxother), self.maxother)


def cut(text: str, limit: int) -> str:
    """`text` cut in the middle to at most `limit` characters (marked with `...`)."""
    if len(text) <= limit:
        return text
    head = max((limit - 3) // 2, 0)
    tail = max(limit - 3 - head, 0)
    return text[:head] + "..." + (text[-tail:] if tail else "")


def safe_repr(obj: Any, limit: int = 80, *, one_line: bool = True, **limits: int) -> str:
    """A bounded repr of `obj` that never raises; `limits` are BoundedRepr's keyword limits."""
    try:
        text = BoundedRepr(**limits).repr(obj)
    except Exception as err:  # noqa: BLE001 - e.g. an int too large to print
        text = f"<{type(obj).__name__} object: repr failed: {type(err).__name__}: {cut(str(err), 100)}>"
    if one_line:
        text = " ".join(text.split())
    return cut(text, limit)


def rich_text(bundle: Mapping[str, str]) -> str:
    """The best text of a MIME bundle: text/plain, else markdown/latex/any text; other MIME
    types present (images, widgets) are named on a last line."""
    text = bundle.get("text/plain")
    if text is None:
        text = next((v for k, v in bundle.items() if k in ("text/markdown", "text/latex")), None)
    if text is None:
        text = next((v for k, v in bundle.items() if k.startswith("text/") and k != "text/html"), "")
    others = [m for m in bundle if not m.startswith("text/")]
    if others:
        text = f"{text}\n[rich output also available as: {', '.join(others)}]".lstrip("\n")
    return text


class NamespaceKernelAccess:
    """A KernelAccess over a plain dict, for tests and plain Python.

    `last_exception`, `history` and `format_rich` callbacks replace the defaults: the
    exception stored by `record_error`, the entries added by `add_history`, and a bounded
    repr. `cell_labels` maps code filenames to labels such as `In[3]`."""

    def __init__(
        self, namespace: dict[str, Any] | None = None, *, hidden: set[str] | frozenset[str] = frozenset(),
        last_exception: Callable[[], BaseException | None] | None = None,
        history: Callable[[int], list[HistoryEntry]] | None = None,
        format_rich: Callable[[Any], dict[str, str]] | None = None,
        cell_labels: Mapping[str, str] | None = None,
    ):
        self.namespace: dict[str, Any] = {} if namespace is None else namespace
        self.hidden = set(hidden)
        self.error: BaseException | None = None
        self.entries: list[HistoryEntry] = []
        self.cell_labels = dict(cell_labels or {})
        self._last_exception, self._history, self._format_rich = last_exception, history, format_rich

    def user_namespace(self) -> dict[str, Any]:
        return self.namespace

    def hidden_names(self) -> set[str]:
        return set(self.hidden)

    def last_exception(self) -> BaseException | None:
        return self._last_exception() if self._last_exception is not None else self.error

    def record_error(self, error: BaseException | None) -> None:
        self.error = error

    def history(self, last_n: int) -> list[HistoryEntry]:
        if self._history is not None:
            return self._history(last_n)
        return self.entries[-last_n:] if last_n > 0 else []

    def add_history(self, source: str, output_text: str | None = None) -> HistoryEntry:
        entry = HistoryEntry(len(self.entries) + 1, source, output_text)
        self.entries.append(entry)
        return entry

    def format_rich(self, obj: Any) -> dict[str, str]:
        if self._format_rich is not None:
            return self._format_rich(obj)
        return {"text/plain": plain_text(obj)}

    def cell_label(self, filename: str) -> str | None:
        return self.cell_labels.get(filename)


def plain_text(obj: Any) -> str:
    """A generous but bounded multi-line repr (the default text of a value)."""
    return safe_repr(obj, 8000, one_line=False, level=4, items=100, string=4000, other=8000)


class IPythonKernelAccess:
    """KernelAccess over a live IPython `InteractiveShell` (duck-typed; no IPython import).

    Reads `shell.user_ns`/`user_ns_hidden`, the history manager's `input_hist_raw` and
    `output_hist_reprs` (falling back to the `In`/`Out` entries of the namespace),
    `sys.last_value` (set by `InteractiveShell.showtraceback`), `shell.compile._filename_map`
    for cell labels and `shell.display_formatter.format` for rich text."""

    def __init__(self, shell: Any):
        self.shell = shell

    def user_namespace(self) -> dict[str, Any]:
        return self.shell.user_ns

    def hidden_names(self) -> set[str]:
        """Names still bound to what IPython put there (as `%who` decides), plus IPython's own."""
        ns, hidden = self.shell.user_ns, getattr(self.shell, "user_ns_hidden", {}) or {}
        missing = object()
        return {name for name, value in hidden.items() if ns.get(name, missing) is value} | set(IPYTHON_NAMES)

    def last_exception(self) -> BaseException | None:
        value = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
        return value if isinstance(value, BaseException) else None

    def history(self, last_n: int) -> list[HistoryEntry]:
        inputs, outputs = self._history_lists()
        start = max(1, len(inputs) - last_n)
        return [HistoryEntry(n, inputs[n], outputs(n)) for n in range(start, len(inputs))] if last_n > 0 else []

    def _history_lists(self) -> tuple[list[str], Callable[[int], str | None]]:
        manager = getattr(self.shell, "history_manager", None)
        inputs = list(getattr(manager, "input_hist_raw", None) or self.shell.user_ns.get("In") or [""])
        reprs = getattr(manager, "output_hist_reprs", None) or {}
        values = self.shell.user_ns.get("Out") or {}

        def output(n: int) -> str | None:
            if n in reprs:
                return str(reprs[n])
            return plain_text(values[n]) if n in values else None

        return inputs, output

    def format_rich(self, obj: Any) -> dict[str, str]:
        try:
            data, _meta = self.shell.display_formatter.format(obj)
        except Exception:  # noqa: BLE001 - a failing formatter falls back to a bounded repr
            return {"text/plain": plain_text(obj)}
        return {mime: _as_text(mime, value) for mime, value in data.items()}

    def cell_label(self, filename: str) -> str | None:
        names = getattr(getattr(self.shell, "compile", None), "_filename_map", None) or {}
        number = names.get(filename)
        return None if number is None else f"In[{number}]"


def _as_text(mime: str, value: Any) -> str:
    if mime.startswith("text/") and isinstance(value, str):
        return value
    if mime == "application/json":
        try:
            return json.dumps(value)
        except (TypeError, ValueError):
            return "<application/json data>"
    return f"<{mime} data>"
