"""`ListMemo`: a function of each object of a list that mostly grows, computed once per object.

`memo.map(values)` returns `[fn(v) for v in values]`, calling `fn` only for objects it
has not seen in the previous call. The objects must never change after they are first
seen (history items are replaced, never mutated). When the new list starts with the
previous one (the usual case: a conversation only grows), the previous results are
reused as a block: the prefix is checked with one list comparison, which is an identity
check per object (an object equal to the one it replaces gives an equal result, so
equality is enough). Otherwise results are looked up by object identity; the previous
call's objects are held, so an id seen again is the same object. Only the objects of the
latest call are kept.
"""

from __future__ import annotations

from typing import Callable, Generic, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class ListMemo(Generic[T, R]):
    def __init__(self, fn: Callable[[T], R]):
        self._fn = fn
        self._values: list[T] = []
        self._results: list[R] = []

    def map(self, values: Sequence[T]) -> list[R]:
        values = list(values)
        known = len(self._values)
        fn = self._fn
        if known and values[:known] == self._values:
            results = self._results + [fn(value) for value in values[known:]]
        else:
            seen = {id(value): result for value, result in zip(self._values, self._results)}
            results = [seen[key] if (key := id(value)) in seen else fn(value) for value in values]
        self._values, self._results = values, results
        return list(results)
