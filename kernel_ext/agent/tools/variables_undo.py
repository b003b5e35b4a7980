"""Undoing what `run_python` did to the kernel's variables (a `Revertible`, undo_journal.py).

One `VariablesUndo` per turn and namespace (`variables_undo(journal, access)`), told
about every run: `before_run(code)` records the user variables' bindings (a dict copy:
cheap however big the namespace is) and deep copies of the mutable objects the code
names (`x.append(1)` mentions `x`), once per turn, while they fit the turn's copy budget
(`COPY_BUDGET`); `after_run()` notes the names the run added, rebound or deleted.

`revert()` deletes the names the turn created and rebinds the others to what they were
before the turn: the copy when one was taken (this also undoes in-place changes), else the
original object, reporting that in-place changes to it (if any) could not be undone and
why ("too large to copy: 1.2 GB", "not copyable: Foo defines __deepcopy__").
`conflicts()` names the variables the user rebound or deleted since the turn.

Sizes are estimated without running user code: `nbytes` for numpy arrays,
`memory_usage(deep=True)` for pandas, `sys.getsizeof` of builtin objects only, and a walk
bounded by `WALK_LIMIT` objects. Objects whose class (outside a few trusted libraries)
defines a copy, pickling or attribute hook are never deep-copied, so no user `__deepcopy__`,
`__reduce__`, `__getattr__` or `__sizeof__` runs. Mutations through names the code does
not mention (a function changing a global) are not undone.
"""

from __future__ import annotations

import ast
import copy
import itertools
import sys
import types
from dataclasses import dataclass, field
from typing import Any

from .kernel_access import IPYTHON_NAMES, KernelAccess
from .kernel_vars import human_bytes, is_kind
from .undo_journal import RevertReport, TurnJournal

COPY_BUDGET = 64 * 1024 * 1024
"""Bytes of deep copies one turn may keep."""
WALK_LIMIT = 100_000
"""Objects the size estimate visits per variable before it gives up."""

_ABSENT: Any = object()
_SCALARS = (int, float, complex, bool, str, bytes, type(None), range)
_IMMUTABLE = (*_SCALARS, types.FunctionType, types.BuiltinFunctionType, type, types.ModuleType, types.MethodType)
_TRUSTED_ROOTS = frozenset({"builtins", "collections", "datetime", "decimal", "fractions", "numpy", "pandas",
                            "array", "uuid", "pathlib", "enum", "re"})
_HOOKS = ("__deepcopy__", "__copy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__",
          "__getattr__", "__getattribute__", "__setattr__", "__new__", "__getnewargs__", "__getnewargs_ex__")
_KEY_HOOKS = _HOOKS + ("__hash__", "__eq__")
_CONTAINER_HOOKS = _HOOKS + ("__iter__", "__len__", "keys", "values", "items", "__getitem__")
"""A container subclass overriding these would run its code when deepcopy reads it."""


class NotCopyable(Exception):
    """Why an object is not deep-copied (the message is the reason shown to the user)."""


def variables_undo(journal: TurnJournal, access: KernelAccess) -> VariablesUndo:
    """The turn's entry for this kernel's namespace (added to the journal on first use)."""
    namespace = access.user_namespace()
    for entry in journal.entries:
        if isinstance(entry, VariablesUndo) and entry.namespace is namespace:
            return entry
    entry = VariablesUndo(namespace, access)  # type: ignore[arg-type]
    journal.add(entry)
    return entry


@dataclass
class _Record:
    """One variable the turn touched: what it was before (`_ABSENT`: not defined)."""

    original: Any
    copy: Any = _ABSENT
    why_not_copied: str | None = None
    mentioned: bool = False


@dataclass
class VariablesUndo:
    namespace: dict[str, Any]
    access: KernelAccess
    budget: int = COPY_BUDGET
    kind: str = "variables"
    records: dict[str, _Record] = field(default_factory=dict)
    left: dict[str, Any] = field(default_factory=dict)
    """name -> the object the turn left bound (`_ABSENT`: deleted)."""
    _before: dict[str, Any] = field(default_factory=dict)
    _mentioned: set[str] = field(default_factory=set)
    _copies: dict[str, tuple[Any, Any, str | None]] = field(default_factory=dict)
    """name -> (original object, its copy or _ABSENT, why not copied)."""
    _memo: dict[int, Any] = field(default_factory=dict)
    _used: int = 0

    # --- recording (on the loop, around each run) ----------------------------------------

    def before_run(self, code: str) -> None:
        self._before = self.user_bindings()
        self._mentioned = mentioned_names(code)
        for name in sorted(self._mentioned):
            obj = self._before.get(name, _ABSENT)
            if obj is _ABSENT or name in self.records or not is_mutable(obj):
                continue
            if name in self._copies and self._copies[name][0] is obj:
                continue
            self._copies[name] = (obj, *self._copy(obj))

    def after_run(self) -> None:
        after = self.user_bindings()
        for name in set(self._before) | set(after):
            old, new = self._before.get(name, _ABSENT), after.get(name, _ABSENT)
            touched = old is not new or (name in self._mentioned and name in self._copies)
            if touched and name not in self.records:
                self.records[name] = self._record(name, old)
            if name in self.records:
                self.left[name] = new

    def _record(self, name: str, old: Any) -> _Record:
        saved = self._copies.get(name)
        if old is _ABSENT or not is_mutable(old):
            return _Record(old, mentioned=name in self._mentioned)
        if saved is not None and saved[0] is old:
            return _Record(old, saved[1], saved[2], name in self._mentioned)
        return _Record(old, why_not_copied=None, mentioned=name in self._mentioned)

    def _copy(self, obj: Any) -> tuple[Any, str | None]:
        try:
            size = estimate_size(obj)
        except NotCopyable as err:
            return _ABSENT, str(err)
        if self._used + size > self.budget:
            return _ABSENT, f"too large to copy: {human_bytes(size)}"
        try:
            duplicate = copy.deepcopy(obj, self._memo)
        except Exception as err:  # noqa: BLE001 - an object deepcopy cannot handle is reported
            return _ABSENT, f"not copyable: {_type_label(obj)} ({type(err).__name__})"
        self._used += size
        return duplicate, None

    def user_bindings(self) -> dict[str, Any]:
        ns = dict(self.namespace)
        hidden = self.access.hidden_names()
        return {name: value for name, value in ns.items() if is_user_variable(name, value, hidden)}

    # --- Revertible ------------------------------------------------------------------------

    async def conflicts(self) -> list[str]:
        found = []
        for name, record in self.records.items():
            current = self.namespace.get(name, _ABSENT)
            if current is not self.left.get(name, _ABSENT) and not (current is _ABSENT and record.original is _ABSENT):
                found.append(f"variable `{name}` (changed since the turn)")
        return found

    async def revert(self) -> RevertReport:
        report = RevertReport()
        for name in sorted(self.records):
            record = self.records[name]
            if record.original is _ABSENT:
                self.namespace.pop(name, None)
                report.restored.append(f"`{name}` (deleted)")
                continue
            if record.copy is not _ABSENT:
                self.namespace[name] = record.copy
                report.restored.append(f"`{name}`")
                continue
            self.namespace[name] = record.original
            if record.mentioned and is_mutable(record.original):
                why = record.why_not_copied or "not copied"
                report.not_restored.append((f"`{name}`", f"in-place changes (if any) not undone: {why}"))
            else:
                report.restored.append(f"`{name}`")
        self.records.clear()
        return report


def is_user_variable(name: str, value: Any, hidden: set[str]) -> bool:
    return not (name.startswith("_") or name in IPYTHON_NAMES or name in hidden or issubclass(type(value), types.ModuleType))


def mentioned_names(code: str) -> set[str]:
    """The variable names the code reads, writes or deletes (empty if it does not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


def is_mutable(obj: Any, depth: int = 0) -> bool:
    """Whether the object could change in place (checked by type only: no user code runs)."""
    kind = type(obj)
    if issubclass(kind, _IMMUTABLE):
        return False
    if kind in (tuple, frozenset) or (issubclass(kind, tuple) and kind.__dictoffset__ == 0):  # namedtuples too
        items = list(itertools.islice(tuple.__iter__(obj) if issubclass(kind, tuple) else iter(obj), 1000))
        return len(items) == 1000 or depth > 20 or any(is_mutable(item, depth + 1) for item in items)
    return True


def estimate_size(obj: Any, limit: int = WALK_LIMIT) -> int:
    """Bytes a deep copy of `obj` takes, roughly; raises NotCopyable (with the reason)."""
    seen: set[int] = set()
    stack, total = [obj], 0
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if len(seen) > limit:
            raise NotCopyable(f"too large to copy: more than {limit:,} objects")
        total += _own_size(item, stack)
    return total


def _own_size(item: Any, stack: list[Any]) -> int:
    """The size of `item` itself; its parts go on `stack`. Containers are read through the
    builtin base's own methods (a subclass's overrides never run)."""
    kind = type(item)
    if kind in _SCALARS:
        return sys.getsizeof(item)
    if issubclass(kind, (types.FunctionType, types.BuiltinFunctionType, type, types.ModuleType, types.MethodType)):
        return 0  # deepcopy keeps these by reference
    _check_hooks(kind)
    if is_kind(item, "numpy", "ndarray"):
        return _array_size(item, stack)
    if is_kind(item, "pandas", "DataFrame") or is_kind(item, "pandas", "Series"):
        return _pandas_size(item)
    if issubclass(kind, dict):
        _check_hooks(kind, _CONTAINER_HOOKS)
        keys = list(dict.keys(item))
        for key in keys:
            _check_key(key)
        stack.extend(keys)
        stack.extend(dict.values(item))
        return sys.getsizeof({}) + 100 * len(keys)
    if issubclass(kind, (set, frozenset)):
        _check_hooks(kind, _CONTAINER_HOOKS)
        members = list(set.__iter__(item) if issubclass(kind, set) else frozenset.__iter__(item))
        for member in members:
            _check_key(member)
        stack.extend(members)
        return 64 + 40 * len(members)
    if issubclass(kind, (list, tuple)):
        _check_hooks(kind, _CONTAINER_HOOKS)
        parts = list.copy(item) if issubclass(kind, list) else list(tuple.__iter__(item))
        stack.extend(parts)
        return 64 + 8 * len(parts)
    if issubclass(kind, bytearray):
        return bytearray.__len__(item) + 64
    if _root(kind) in _TRUSTED_ROOTS:
        if kind.__module__ == "collections" and hasattr(kind, "__iter__"):
            parts = list(itertools.islice(iter(item), WALK_LIMIT + 1))
            stack.extend(parts)
            return 64 + 8 * len(parts)
        return sys.getsizeof(item)
    return _instance_size(item, stack)


def _array_size(a: Any, stack: list[Any]) -> int:
    size = int(a.nbytes)
    if a.dtype.kind == "O":
        stack.extend(itertools.islice(a.flat, WALK_LIMIT + 1))
    return size + 128


def _pandas_size(frame: Any) -> int:
    """`memory_usage(deep=True)`, unless the shallow size alone is already over the budget."""
    try:
        shallow = _usage(frame, deep=False)
        return shallow if shallow > COPY_BUDGET else _usage(frame, deep=True)
    except Exception as err:  # noqa: BLE001 - a frame whose size cannot be read is not copied
        raise NotCopyable(f"not copyable: size unknown ({type(err).__name__})") from None


def _usage(frame: Any, deep: bool) -> int:
    usage = frame.memory_usage(index=True, deep=deep)
    return int(usage.sum() if hasattr(usage, "sum") else usage)


def _instance_size(item: Any, stack: list[Any]) -> int:
    """A plain class instance: its `__dict__` and slots, read without calling its code."""
    state = None
    try:
        state = object.__getattribute__(item, "__dict__")
    except AttributeError:
        pass
    if state is not None:
        if type(state) is not dict:
            raise NotCopyable(f"not copyable: {_type_label(item)} has an unusual __dict__")
        stack.append(state)
    for cls in type(item).__mro__:
        for slot in _slots(cls):
            try:
                stack.append(object.__getattribute__(item, slot))
            except AttributeError:
                continue
    return 64


def _slots(cls: type) -> list[str]:
    slots = vars(cls).get("__slots__", ())
    slots = [slots] if isinstance(slots, str) else list(slots)
    return [s for s in slots if isinstance(s, str) and s not in ("__dict__", "__weakref__")]


def _check_hooks(kind: type, hooks: tuple[str, ...] = _HOOKS) -> None:
    for cls in kind.__mro__:
        if cls is object or _root(cls) in _TRUSTED_ROOTS:
            continue
        defined = [hook for hook in hooks if hook in vars(cls) and not (hook == "__hash__" and vars(cls)[hook] is None)]
        if defined:
            raise NotCopyable(f"not copyable: {_type_label(kind)} defines {defined[0]}")


def _check_key(key: Any) -> None:
    """Dict keys and set members are hashed again in the copy: only trusted hashes."""
    kind = type(key)
    if kind in (int, float, complex, bool, str, bytes, type(None), tuple, frozenset, range) or _root(kind) in _TRUSTED_ROOTS:
        return
    _check_hooks(kind, _KEY_HOOKS)


def _root(cls: type) -> str:
    return (getattr(cls, "__module__", None) or "").split(".")[0]


def _type_label(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return getattr(cls, "__qualname__", cls.__name__)


__all__ = ["COPY_BUDGET", "NotCopyable", "VariablesUndo", "estimate_size", "mentioned_names", "variables_undo"]
