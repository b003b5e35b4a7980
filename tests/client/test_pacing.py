"""How a fast stream shares its thread (client/pacing.py): a burst of buffered data gives
way to other coroutines, and, for a session on a kernel's loop, pauses so the kernel's I/O
threads get the GIL. The speed effect is measured by `bench kernel_responsiveness`; these
tests pin the mechanism: which pause is taken, when, and that sessions get the right one.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from agent.client import pacing
from agent.client.pacing import COOPERATIVE, SHARE_WITH_KERNEL, Pacer, StreamPacing
from agent.client.stream import OutputTextDelta
from tests.scripted_server import Reply


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every `asyncio.sleep` the pacer takes (still really awaited)."""
    taken: list[float] = []
    real_sleep = asyncio.sleep

    async def recording(seconds: float) -> None:
        taken.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(pacing.asyncio, "sleep", recording)
    return taken


async def test_no_pause_while_work_stays_under_the_stretch(pauses):
    pacer = Pacer(StreamPacing(busy_s=60.0, pause_s=0.001))
    for _ in range(1000):
        await pacer.tick()
    assert pauses == []


async def test_a_long_stretch_gives_way_with_the_configured_pause(pauses):
    pacer = Pacer(StreamPacing(busy_s=0.001, pause_s=0.002))
    for _ in range(3):
        time.sleep(0.0015)  # busy past the stretch
        await pacer.tick()
    assert pauses == [0.002, 0.002, 0.002]


async def test_cooperative_pacing_lets_other_coroutines_run_during_a_burst(pauses):
    ran: list[int] = []

    async def other() -> None:
        ran.append(len(pauses))

    pacer = Pacer(COOPERATIVE)
    task = asyncio.ensure_future(other())
    time.sleep(COOPERATIVE.busy_s * 1.5)
    await pacer.tick()
    assert pauses == [0.0] and ran == [1] and task.done()


def test_the_kernel_pacing_really_pauses_and_the_default_does_not():
    assert COOPERATIVE.pause_s == 0.0
    assert SHARE_WITH_KERNEL.pause_s > 0.0 and SHARE_WITH_KERNEL.busy_s > SHARE_WITH_KERNEL.pause_s


@pytest.mark.parametrize("wire", ["responses", "chat"])
@pytest.mark.parametrize("chosen", [COOPERATIVE, StreamPacing(busy_s=0.0, pause_s=0.0005)])
async def test_the_stream_reader_uses_the_transports_pacing(srv, make_client, prompt, collect, pauses, wire, chosen):
    srv.enqueue(Reply(text="y" * 3000, chunk_size=1))
    client = make_client(srv.url, wire, connect_kw={"pacing": chosen})
    events = await collect(client, prompt())
    text = "".join(e.delta for e in events if isinstance(e, OutputTextDelta))
    assert text == "y" * 3000  # the control: pacing loses nothing
    if chosen.busy_s == 0.0:
        assert pauses and set(pauses) == {0.0005}
    else:
        assert set(pauses) <= {0.0}


async def test_sessions_in_a_kernel_share_the_cpu_and_others_do_not(tmp_path, monkeypatch):
    from agent.core.api import CliOverrides, load_config, open_session

    monkeypatch.setenv("KERNEL_AGENT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-pacing")
    config = load_config(CliOverrides(cwd=tmp_path, raw=['model_provider="openai"']))
    plain = open_session(config, rollout=None)
    kernel = open_session(config, rollout=None, in_kernel=True)
    try:
        assert plain.client._transport.pacing == COOPERATIVE
        assert kernel.client._transport.pacing == SHARE_WITH_KERNEL
    finally:
        await plain.shutdown()
        await kernel.shutdown()
