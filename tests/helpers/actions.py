"""A stand-in action server for tests of slow or broken custom actions."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from aiohttp import web


class FakeActionServer:
    """A stand-in action server on the real one's port: /webhook answers with
    `status` and `body` after `delay` seconds."""

    def __init__(self, port: int, delay: float = 0, status: int = 200, body: Any = None,
                 content_type: str = "application/json") -> None:
        self.port, self.delay, self.status, self.content_type = port, delay, status, content_type
        self.body = json.dumps({"events": [], "responses": [{"text": "a very late answer"}]}) if body is None else body
        self.calls = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _webhook(self, request: web.Request) -> web.Response:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return web.Response(status=self.status, text=self.body, content_type=self.content_type)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/webhook", self._webhook)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _shutdown(self) -> None:
        await self._runner.cleanup()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()
        await asyncio.sleep(0)

    def __enter__(self) -> "FakeActionServer":
        self._thread.start()
        assert self._ready.wait(10), "the fake action server did not start"
        return self

    def __exit__(self, *exc: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
