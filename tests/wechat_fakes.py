"""Test doubles for the WeChat / WeCom channels: a fake Rasa turn, a fake WeChat API server
(token + customer-service endpoints) and the channel's blueprint served by a real Sanic app on
a free port. Used by tests/test_wechat.py and tests/test_wecom.py."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

Sanic.test_mode = True  # several apps per process; Sanic 21.12 needs this to start them
_app_numbers = itertools.count()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


Bubble = dict[str, Any]


@dataclass
class FakeRasa:
    """Stands for ``on_new_message``: records each turn and answers with canned bubbles."""

    answer: Callable[[str], list[Bubble]] = lambda text: [{"text": f"收到：{text}"}]
    delay: float = 0.0
    fail: bool = False
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        self.calls.append((message.sender_id, message.text, message.input_channel))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the bot broke")
        out = message.output_channel
        for bubble in self.answer(message.text):
            if bubble.get("buttons"):
                await out.send_text_with_buttons(message.sender_id, bubble["text"],
                                                 bubble["buttons"])
            else:
                await out.send_text_message(message.sender_id, bubble["text"])

    @property
    def texts(self) -> list[str]:
        return [text for _sender, text, _channel in self.calls]


@dataclass
class FakeWeChatApi:
    """WeChat's API: ``cgi-bin/token`` (or WeCom's ``cgi-bin/gettoken``) and the send
    endpoints. ``token_errors``: how many sends to refuse with errcode 40001 first."""

    token_errors: int = 0
    tokens_issued: int = 0
    token_requests: list[dict[str, str]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # {"access_token", "body"}
    refused: int = 0
    url: str = ""

    async def _token(self, request: web.Request) -> web.Response:
        self.tokens_issued += 1
        self.token_requests.append(dict(request.query))
        return web.json_response({"access_token": f"TOKEN-{self.tokens_issued}",
                                  "expires_in": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        body = await request.json()
        if self.refused < self.token_errors:
            self.refused += 1
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if token != f"TOKEN-{self.tokens_issued}":
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.sent.append({"access_token": token, "body": body})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def wait_sent(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` messages have arrived (fails after ``timeout`` seconds)."""
        for _ in range(int(timeout / 0.05)):
            if len(self.sent) >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(self.sent)} of {count} messages arrived")

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[FakeWeChatApi]:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_get("/cgi-bin/gettoken", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        app.router.add_post("/cgi-bin/message/send", self._send)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        self.url = f"http://127.0.0.1:{port}/"
        try:
            yield self
        finally:
            await runner.cleanup()


@contextlib.asynccontextmanager
async def serve_channel(channel: Any, on_new_message: Any) -> AsyncIterator[str]:
    """The channel's blueprint in a real Sanic app on a free port, mounted like Rasa does
    (``/webhooks/<name>``); yields the webhook URL."""
    app = Sanic(f"wechat_test_{next(_app_numbers)}", configure_logging=False)
    app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.name()}")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    await server.startup()
    await server.start_serving()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/{channel.name()}/webhook"
    finally:
        await channel.wait_idle()
        server.close()
        await server.wait_closed()
