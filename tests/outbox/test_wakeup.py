"""Commit-time wake-ups reach every dispatcher that listens, however late it started."""

from __future__ import annotations

import asyncio
import os

from hookline.outbox.wakeup import WakeListener, Waker


def test_a_dispatcher_bound_within_the_file_clock_tick_of_a_listing_is_woken(tmp_path) -> None:
    directory = tmp_path / "wake"
    directory.mkdir()
    waker = Waker(directory)

    async def test() -> None:
        waker.notify()  # lists the directory: nobody listens yet
        listed = os.stat(directory).st_mtime_ns
        wake = asyncio.Event()
        listener = WakeListener(directory, wake)
        # As a coarse file clock leaves it when the socket is bound in the same tick.
        os.utime(directory, ns=(listed, listed))
        try:
            waker.notify()
            await asyncio.wait_for(wake.wait(), 2)
        finally:
            listener.close()

    asyncio.run(test())
    waker.close()
