"""No import cycle among the modules of `agent.core`.

The graph is grimp's (the one import-linter checks): module-level imports, imports inside
functions and imports under `TYPE_CHECKING` all count, so a cycle cannot hide behind a
lazy or typing-only import. A failure names one cycle and the import lines that make it.
"""

from __future__ import annotations

from collections import deque
from typing import Mapping, Set

import grimp

PACKAGE = "agent.core"


def strongly_connected(edges: Mapping[str, Set[str]]) -> list[list[str]]:
    """The groups of two or more modules that import each other, directly or not
    (Tarjan's algorithm, iterative), plus any module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in edges.get(node, ()):
                    groups.append(sorted(group))
    return groups


def one_cycle(edges: Mapping[str, Set[str]], group: list[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start, members = group[0], set(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(edges.get(node, ())):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start] if node != start else [start, start]
            if child in members and child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"{group} is not a cycle")


def core_import_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    modules = {m for m in graph.modules if m == PACKAGE or m.startswith(PACKAGE + ".")}
    return {m: set(graph.find_modules_directly_imported_by(m)) & modules for m in modules}


def describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    lines = []
    for importer, imported in zip(cycle, cycle[1:]):
        details = graph.get_import_details(importer=importer, imported=imported)
        where = ", ".join(f"l.{d['line_number']} `{d['line_contents']}`" for d in details)
        lines.append(f"  {importer} -> {imported} ({where})")
    return "\n".join(lines)


def test_agent_core_has_no_import_cycle():
    graph = grimp.build_graph("agent", cache_dir=None)
    edges = core_import_edges(graph)
    assert "agent.core.session" in edges and "agent.core.turn" in edges  # the graph really holds core
    groups = strongly_connected(edges)
    if groups:
        cycle = one_cycle(edges, groups[0])
        report = describe(graph, cycle)
        raise AssertionError(f"import cycle in {PACKAGE} ({len(groups)} group(s); modules {groups[0]}):\n{report}")


def test_the_detector_finds_direct_and_indirect_cycles():
    edges = {
        "a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(),  # a -> b -> c -> a
        "e": {"e"},  # a module importing itself
        "f": {"d"},
    }
    assert strongly_connected(edges) == [["a", "b", "c"], ["e"]]
    assert one_cycle(edges, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert one_cycle(edges, ["e"]) == ["e", "e"]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []
