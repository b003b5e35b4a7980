"""A reference applier of `TranscriptPatch`es, as a front end applies them (for tests).

    front = Applier()
    front.apply(patch)      # in the order of the protocol docstring
    front.state()           # comparable with `Transcript.state()` (ids are the wire ids)
"""

from __future__ import annotations

from typing import Any


class Applier:
    def __init__(self) -> None:
        self.blocks: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.turn_diff: str | None = None
        self.status: dict[str, Any] = {}
        self.seq = 0
        self.synced = False
        self.applied = 0

    def apply(self, patch: dict[str, Any]) -> None:
        assert patch["type"] == "transcript"
        if patch.get("reset"):
            self.blocks.clear()
            self.turn_diff = None
            self.synced = True
        assert self.synced, "a patch before any reset"
        for block in patch.get("blocks", []):
            self.blocks[block["id"]] = dict(block)
        for append in patch.get("appends", []):
            block = self.blocks[append["id"]]  # an append extends a block already held
            block["text"] += append["text"]
            block["rev"], block["streaming"] = append["rev"], append["streaming"]
        if patch.get("order") is not None:
            self.order = list(patch["order"])
        else:
            assert not patch.get("reset"), "a reset without an order"
        assert all(i in self.blocks for i in self.order), "order names a block never sent"
        if patch.get("turn_diff") is not None:
            self.turn_diff = patch["turn_diff"] or None
        if patch.get("status") is not None:
            self.status = patch["status"]
        assert self.status, "a reset without a status"
        self.seq = patch["seq"]
        self.applied += 1

    def state(self) -> dict[str, Any]:
        return {"version": 1, "seq": self.seq, "blocks": [self.blocks[i] for i in self.order],
                "turn_diff": self.turn_diff, "status": self.status}
