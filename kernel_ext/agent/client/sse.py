"""A bounded Server-Sent Events parser (pure, no I/O): bytes in, each event's `data` out.

`SseParser(max_event_bytes).feed(chunk)` returns the `data` of every event completed by
`chunk`, in order (events without data are skipped, as the clients ignore them). Lines
end with LF, CRLF or CR (a CRLF split across two chunks counts once); `data:` lines are
joined with `\\n`, one space after the colon is dropped; `event:`, `id:`, `retry:` and
`:` comment lines are read and ignored; an unfinished event at the end of the stream is
discarded (the SSE rule; the clients then report the stream as cut).

Memory is bounded: an event (its unfinished line plus the data gathered so far) or a
single line longer than `max_event_bytes` raises `StreamEventTooLarge` at once, long
before the next newline, so a hostile or broken server sending one 64 MiB event (or
endless bytes without a newline) costs at most about `max_event_bytes` plus one chunk.
"""

from __future__ import annotations

from .errors import StreamEventTooLarge

MAX_SSE_EVENT_BYTES = 16 << 20
"""The largest SSE event accepted (16 MiB): far above any real model event (a whole
response's output item), far below what would hurt the kernel's memory."""


class SseParser:
    def __init__(self, max_event_bytes: int = MAX_SSE_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self._pending = bytearray()
        self._data: list[str] = []
        self._data_bytes = 0
        self._skip_lf = False
        self._started = False

    def feed(self, chunk: bytes) -> list[str]:
        if not self._started and chunk:
            self._started = True
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
        if self._skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        if chunk:
            self._skip_lf = False
        cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        if cut < 0:
            self._pending += chunk
            self._check()
            return []
        lines = bytes(self._pending + chunk[: cut + 1])
        self._pending = bytearray(chunk[cut + 1 :])
        self._skip_lf = lines.endswith(b"\r")
        out: list[str] = []
        for line in lines.splitlines():
            data = self._line(line)
            if data is not None:
                out.append(data)
        self._check()
        return out

    def _line(self, line: bytes) -> str | None:
        """Handle one complete line; the event's data when the line ends an event."""
        if len(line) > self.max_event_bytes:
            raise StreamEventTooLarge(self.max_event_bytes)
        if not line:
            data, self._data, self._data_bytes = self._data, [], 0
            return "\n".join(data) if data else None
        name, colon, value = line.partition(b":")
        if name == b"data":
            if colon and value.startswith(b" "):
                value = value[1:]
            self._data.append(value.decode("utf-8", "replace"))
            self._data_bytes += len(value) + 1
            if self._data_bytes > self.max_event_bytes:
                raise StreamEventTooLarge(self.max_event_bytes)
        return None

    def _check(self) -> None:
        if self._data_bytes + len(self._pending) > self.max_event_bytes:
            raise StreamEventTooLarge(self.max_event_bytes)
