"""WeChat Official Account (公众号) channel: ``/webhooks/wechat/webhook``.

What WeChat's servers send, and what they get back:

- ``GET`` with signature/timestamp/nonce/echostr (the URL check of the admin console): the
  echostr when the signature is valid, 403 otherwise.
- ``POST`` with a message: the signature is checked first (forged or missing → 403). In safe
  mode (``encrypt_type=aes``) the body is decrypted (msg_signature and the AppID inside checked)
  and the reply is encrypted. Text and voice (its ``Recognition`` text) go to Rasa as
  ``wechat-<openid>``; the subscribe event runs the bot's greeting (``/greet``); other message
  types get a polite text; other events ``success``.
- The 5-second rule: the Rasa turn gets ``reply_timeout`` seconds (default 4). Ready in time →
  a passive reply (the first message; any further ones through the customer-service API, so
  that the citizen sees the start of the answer at once even without API permission); not
  ready → ``success`` at once and the whole answer later through the customer-service API.
- WeChat retries a message it got no answer for: every message is recorded in the database
  (shared by workers) and a retry gets the same passive reply, or ``success`` — never a second
  Rasa turn.
- Buttons become numbered choices; a reply "1" maps back to the button's payload.

Sentences shown to citizens are in knowledge/conversation.yaml (``texts.wechat_*``). Nothing
personal (openid, text) is logged. WeCom (企业微信) reuses all of this: see wecom.py.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests
import xmltodict
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy.client import WeChatClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import EVENT_TYPES
from wechatpy.exceptions import (
    InvalidAppIdException,
    InvalidSignatureException,
    WeChatClientException,
)
from wechatpy.messages import MESSAGE_TYPES, BaseMessage, UnknownMessage
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.channels import textchat
from bot.channels.wechat_store import PASSIVE, SENT, ChannelStore, DatabaseSessionStorage

log = logging.getLogger(__name__)

DEV_TOKEN = "xinfang-dev-token"
DEFAULT_API_BASE_URL = "https://api.weixin.qq.com/"
DEFAULT_REPLY_TIMEOUT = 4.0
MAX_REPLY_TIMEOUT = 4.5  # WeChat gives up after 5 s
DEFAULT_MAX_AGE = 300  # seconds a signed POST's timestamp may be away from now (replays)
MAX_BODY_BYTES = 64 * 1024  # a real message is a few KB
HTTP_TIMEOUT = 10.0  # seconds for a call to WeChat's API
FOLLOWUP_DELAY = 0.5  # seconds between the passive reply and the API messages that follow it
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid / expired access_token
SUCCESS = "success"
FOLLOWUPS_HEADER = "X-Followups"  # how many messages follow a passive reply through the API
GREET = "/greet"
TEXT_KEYS = ("wechat_voice_unclear", "wechat_unsupported", "wechat_error", "wechat_choice",
             "wechat_choice_hint", "wechat_empty", "wechat_too_long")

_USER_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")  # openid / WeCom userid
_AES_KEY_RE = re.compile(r"^[A-Za-z0-9+/]{43}$")
_DTD_RE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class WeChatConfigError(RasaException):
    """Invalid WeChat / WeCom settings (credentials.yml or environment)."""


class Rejected(Exception):
    """A request refused with an HTTP status; ``reason`` is logged (nothing personal)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# ---- configuration --------------------------------------------------------------------------
def setting(credentials: Mapping[str, Any], environ: Mapping[str, str], key: str,
            env: str | None, default: Any = None) -> Any:
    """A setting: the environment variable ``env`` when set, else the file, else ``default``."""
    if env and environ.get(env, "").strip():
        return environ[env].strip()
    value = credentials.get(key)
    return default if value is None else value


def check_token(token: Any, where: str) -> str:
    """The callback token: 3–32 printable characters."""
    token = str(token or "").strip()
    if not 3 <= len(token) <= 32 or not token.isprintable() or " " in token:
        raise WeChatConfigError(f"{where}: token must be 3–32 characters without spaces")
    return token


def check_aes_key(key: Any, where: str, required: bool = False) -> str:
    """The EncodingAESKey: 43 characters of base64 (empty allowed unless ``required``)."""
    key = str(key or "").strip()
    if not key:
        if required:
            raise WeChatConfigError(f"{where}: encoding_aes_key is required")
        return ""
    if not _AES_KEY_RE.match(key):
        raise WeChatConfigError(
            f"{where}: encoding_aes_key must be exactly 43 characters (A–Z, a–z, 0–9, + and /), "
            f"got {len(key)} characters")
    try:
        if len(base64.b64decode(key + "=")) != 32:
            raise ValueError
    except (ValueError, binascii.Error):
        raise WeChatConfigError(f"{where}: encoding_aes_key is not valid base64") from None
    return key


def check_base_url(url: Any, where: str) -> str:
    """An http(s) API base URL ending with a slash."""
    url = str(url or "").strip()
    if not re.match(r"^https?://[^\s/]+", url):
        raise WeChatConfigError(f"{where}: api_base_url must start with http:// or https://")
    return url if url.endswith("/") else url + "/"


def check_timeout(value: Any, where: str) -> float:
    """reply_timeout: seconds, above 0 and at most 4.5 (WeChat waits 5 s)."""
    try:
        timeout = float(value)
    except (TypeError, ValueError):
        raise WeChatConfigError(f"{where}: reply_timeout must be a number of seconds") from None
    if not 0 < timeout <= MAX_REPLY_TIMEOUT:
        raise WeChatConfigError(f"{where}: reply_timeout must be above 0 and at most "
                                f"{MAX_REPLY_TIMEOUT} seconds (WeChat waits 5 s)")
    return timeout


def check_max_age(value: Any, where: str) -> int:
    """max_age: whole seconds a POST's timestamp may differ from now (1 to 86400)."""
    try:
        age = int(str(value).strip())
    except ValueError:
        raise WeChatConfigError(f"{where}: max_age must be a whole number of seconds") from None
    if not 1 <= age <= 86400:
        raise WeChatConfigError(f"{where}: max_age must be between 1 and 86400 seconds")
    return age


def check_fresh(args: Mapping[str, str], max_age: int, now: float | None = None) -> None:
    """Refuse (403) a POST whose ``timestamp`` is missing, not an integer or more than
    ``max_age`` seconds away from now: an old signed URL cannot be replayed."""
    stamp = str(args.get("timestamp") or "").strip()
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise Rejected(403, "timestamp missing or not an integer")
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > max_age:
        raise Rejected(403, f"timestamp more than {max_age} s away from now")


@dataclass(frozen=True)
class WeChatConfig:
    """Settings of the Official Account channel (credentials.yml, environment overrides)."""

    token: str
    appid: str
    secret: str = ""
    encoding_aes_key: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    reply_timeout: float = DEFAULT_REPLY_TIMEOUT
    max_age: int = DEFAULT_MAX_AGE

    ENV = {"token": "WECHAT_TOKEN", "appid": "WECHAT_APPID", "secret": "WECHAT_SECRET",
           "encoding_aes_key": "WECHAT_ENCODING_AES_KEY", "api_base_url": "WECHAT_API_BASE_URL",
           "max_age": "WECHAT_MAX_AGE"}

    @classmethod
    def from_mapping(cls, credentials: Mapping[str, Any] | None,
                     environ: Mapping[str, str] | None = None) -> WeChatConfig:
        """Read and check the settings; WECHAT_* environment variables win over the file."""
        credentials = credentials or {}
        environ = os.environ if environ is None else environ
        where = "WeChat channel (credentials.yml / WECHAT_*)"
        get = partial(setting, credentials, environ)
        appid = str(get("appid", cls.ENV["appid"]) or "").strip()
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", appid):
            raise WeChatConfigError(f"{where}: appid is missing or malformed")
        return cls(
            token=check_token(get("token", cls.ENV["token"]), where),
            appid=appid,
            secret=str(get("secret", cls.ENV["secret"]) or "").strip(),
            encoding_aes_key=check_aes_key(get("encoding_aes_key",
                                               cls.ENV["encoding_aes_key"]), where),
            api_base_url=check_base_url(get("api_base_url", cls.ENV["api_base_url"],
                                            DEFAULT_API_BASE_URL), where),
            reply_timeout=check_timeout(get("reply_timeout", None, DEFAULT_REPLY_TIMEOUT), where),
            max_age=check_max_age(get("max_age", cls.ENV["max_age"], DEFAULT_MAX_AGE), where),
        )


# ---- XML ------------------------------------------------------------------------------------
def parse_xml(body: bytes) -> dict[str, Any]:
    """The ``<xml>`` element of a WeChat body as a dict; ValueError for anything else.

    Document type declarations (hence entities, external or not) are refused outright, and
    xmltodict parses with entities disabled; the body must be UTF-8.
    """
    if _DTD_RE.search(body):
        raise ValueError("document type declarations are not accepted")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("body is not UTF-8") from None
    try:
        data = xmltodict.parse(text, disable_entities=True)
    except Exception as exc:  # expat errors, entity refusals
        raise ValueError(f"malformed XML ({type(exc).__name__})") from None
    root = data.get("xml") if isinstance(data, dict) else None
    if not isinstance(root, dict):
        raise ValueError("no <xml> root element")
    return root


def build_message(data: dict[str, Any], message_types: Mapping[str, type] = MESSAGE_TYPES,
                  event_types: Mapping[str, type] = EVENT_TYPES) -> BaseMessage:
    """A wechatpy message or event object from the parsed XML (as wechatpy's parse_message)."""
    kind = data.get("MsgType")
    if not isinstance(kind, str) or not kind:
        raise ValueError("no MsgType")
    kind = kind.lower()
    if kind == "event":
        event = data.get("Event")
        event = event.lower() if isinstance(event, str) else ""
        if event == "subscribe" and str(data.get("EventKey") or "").startswith("qrscene_"):
            event = "subscribe_scan"
        return event_types.get(event, UnknownMessage)(data)
    return message_types.get(kind, UnknownMessage)(data)


def cdata_safe(text: str) -> str:
    """Text that cannot end the CDATA section wechatpy wraps it in."""
    return text.replace("]]>", "]]]]><![CDATA[>")


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit`` bytes (stops reading)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return None
    stream = getattr(request, "stream", None)
    if stream is None:
        body = request.body or b""
        return None if len(body) > limit else body
    parts, size = [], 0
    while True:
        chunk = await stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


# ---- the customer-service API -------------------------------------------------------------
class TimeoutSession(requests.Session):
    """requests.Session with a default timeout (wechatpy fetches tokens without one)."""

    def request(self, method, url, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = HTTP_TIMEOUT
        return super().request(method, url, **kwargs)


class TokenClientMixin:
    """access_token handling shared by the WeChat and WeCom clients.

    The token lives only in the session storage (the database), so every worker uses the same
    one; the storage stops returning it a few minutes before it expires, which makes the next
    call fetch a new one. A token error (40001, 40014, 42001) drops it, fetches a new one and
    retries once.
    """

    session: Any
    access_token_key: str
    fetch_access_token: Callable[[], dict]

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        if not token:
            self.fetch_access_token()
            token = self.session.get(self.access_token_key)
        if not token:
            raise WeChatClientException(None, "no access_token after fetching one")
        return token

    def _with_token_retry(self, call: Callable[[], dict]) -> dict:
        try:
            return call()
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.info("%s: access_token rejected (errcode %s), fetching a new one",
                     type(self).__name__, exc.errcode)
            self.session.delete(self.access_token_key)
            self.fetch_access_token()
            return call()


class OfficialAccountClient(TokenClientMixin, WeChatClient):
    """wechatpy's client pointed at ``api_base_url``, with the database token storage."""

    def __init__(self, appid: str, secret: str, api_base_url: str,
                 session: DatabaseSessionStorage) -> None:
        super().__init__(appid, secret, session=session, timeout=HTTP_TIMEOUT, auto_retry=False)
        self._http = TimeoutSession()
        self.API_BASE_URL = api_base_url + "cgi-bin/"
        self.token_url = api_base_url + "cgi-bin/token"

    def fetch_access_token(self) -> dict:
        """GET cgi-bin/token (client_credential) and store the token for every worker."""
        return self._fetch_access_token(url=self.token_url, params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

    def send_text(self, user: str, content: str) -> dict:
        """POST cgi-bin/message/custom/send: one text message to ``user`` (an openid)."""
        return self._with_token_retry(lambda: self.post("message/custom/send", data={
            "touser": user, "msgtype": "text", "text": {"content": content}}))


# ---- the channel ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Incoming:
    """An opened, checked request: the message and how to seal the reply."""

    message: BaseMessage
    encrypted: bool
    nonce: str


class TextMessengerInput(InputChannel):
    """What WeChat and WeCom share: dedupe, the 5-second rule, choices, the send API."""

    prefix = "wechat"

    def __init__(self, config: Any, db_url: str | None = None,
                 texts: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.store = ChannelStore(self.name(), db_url)
        self.texts = dict(texts) if texts is not None else load_texts()
        self._client: Any = None
        self._tasks: set[asyncio.Task] = set()

    # -- hooks for the two platforms --
    def check_url(self, args: Mapping[str, str]) -> str | None:
        """The GET URL check: the text to answer, or None (403)."""
        raise NotImplementedError

    def open_request(self, args: Mapping[str, str], body: bytes) -> Incoming:
        """Check and decrypt a POST; raise Rejected."""
        raise NotImplementedError

    def check_query(self, args: Mapping[str, str]) -> None:
        """Checks on the query alone, before the body is read; raise Rejected."""

    def seal(self, xml: str, incoming: Incoming) -> str:
        """The reply as sent: encrypted when the message was."""
        raise NotImplementedError

    def make_client(self) -> Any:
        """The API client (blocking; built on first use, in an executor)."""
        raise NotImplementedError

    def turn_text(self, message: BaseMessage) -> tuple[str, str]:
        """("turn", text for Rasa) / ("fixed", text key) / ("ignore", "")."""
        data = message._data
        kind = str(data.get("MsgType") or "").lower()
        if kind in ("text", "voice"):  # cleaned like the web page's messages
            field, unusable = (("Content", "wechat_empty") if kind == "text"
                               else ("Recognition", "wechat_voice_unclear"))
            try:
                return "turn", textchat.clean_text(_text_field(data, field))
            except textchat.TextProblem as exc:
                return "fixed", "wechat_too_long" if exc.kind == "too_long" else unusable
        if kind == "event":
            if getattr(message, "event", "") in ("subscribe", "subscribe_scan"):
                return "turn", GREET
            return "ignore", ""
        return "fixed", "wechat_unsupported"

    # -- Rasa --
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """GET / (health), GET /webhook (URL check) and POST /webhook (messages)."""
        hook = Blueprint(f"{self.name()}_webhook_{id(self)}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            args = _query(request)
            try:
                echo = self.check_url(args)
            except Exception as exc:  # garbage in the query
                log.warning("%s: URL check failed (%s)", self.name(), type(exc).__name__)
                echo = None
            if echo is None:
                log.warning("%s: URL check with a bad signature refused", self.name())
                return response.text("forbidden", status=403)
            return response.text(echo)

        @hook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle_post(request, on_new_message)

        return hook

    async def handle_post(self, request: Request,
                          on_new_message: Callable[[UserMessage], Awaitable[Any]]
                          ) -> HTTPResponse:
        """One POST from WeChat: check, dedupe, answer within the time limit."""
        try:
            return await self._handle_post(request, on_new_message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database or the bot failed: never a stack trace
            log.error("%s: could not handle a message (%s)", self.name(), type(exc).__name__)
            log.debug("%s: failure", self.name(), exc_info=exc)
            return response.text(SUCCESS, status=500)

    async def _handle_post(self, request: Request,
                           on_new_message: Callable[[UserMessage], Awaitable[Any]]
                           ) -> HTTPResponse:
        args = _query(request)
        try:
            self.check_query(args)
            body = await read_body(request, MAX_BODY_BYTES)
            if body is None:
                raise Rejected(400, "body too large")
            incoming = self.open_request(args, body)
        except Rejected as exc:
            log.warning("%s: request refused with %d: %s", self.name(), exc.status, exc.reason)
            return response.text("forbidden" if exc.status == 403 else SUCCESS,
                                 status=exc.status)
        message = incoming.message
        user = str(message.source or "")
        if not _USER_RE.match(user):
            log.warning("%s: request refused with 400: malformed sender", self.name())
            return response.text(SUCCESS, status=400)
        key = _dedupe_key(message)
        claim = await self._run(self.store.claim_message, key)
        if not claim.new:
            log.info("%s: retry of a %s message answered from the record (%s)", self.name(),
                     message.type, claim.status)
            if claim.status == PASSIVE and claim.reply:
                return self._reply(incoming, claim.reply)
            return response.text(SUCCESS)
        try:
            return await self._respond(incoming, key, user, on_new_message)
        except Exception:  # release the claim, so that WeChat's retry is answered
            try:
                await self._run(self.store.release_message, key)
            except Exception as exc:
                log.error("%s: could not release a failed message (%s)", self.name(),
                          type(exc).__name__)
            raise

    async def _respond(self, incoming: Incoming, key: str, user: str,
                       on_new_message: Callable[[UserMessage], Awaitable[Any]]
                       ) -> HTTPResponse:
        """Answer a newly claimed message (a fixed text, nothing, or a Rasa turn)."""
        action, text = self.turn_text(incoming.message)
        if action == "ignore":
            await self._run(self.store.finish_message, key, SENT)
            return response.text(SUCCESS)
        if action == "fixed":
            reply = self.texts[text]
            await self._run(self.store.finish_message, key, PASSIVE, reply)
            return self._reply(incoming, reply)
        return await self._answer(incoming, key, user, text, on_new_message)

    async def _answer(self, incoming: Incoming, key: str, user: str, text: str,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        number = textchat.choice_number(text)
        if number is not None:
            payload = await self._run(self.store.choice_payload, user, number)
            if payload:
                text = payload
        task = asyncio.ensure_future(self._turn(on_new_message, user, text))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.config.reply_timeout)
        except asyncio.CancelledError:  # WeChat hung up: the answer goes through the API
            self._background(self._deliver_later(task, user, key))
            raise
        if not done:
            log.info("%s: answer not ready in %.1f s, it will follow through the API",
                     self.name(), self.config.reply_timeout)
            self._background(self._deliver_later(task, user, key))
            return response.text(SUCCESS)
        chunks = self._chunks_of(task)
        if not chunks:
            await self._run(self.store.finish_message, key, SENT)
            return response.text(SUCCESS)
        await self._run(self.store.finish_message, key, PASSIVE, chunks[0])
        reply = self._reply(incoming, chunks[0])
        if len(chunks) > 1:
            self._background(self._send(user, chunks[1:], delay=FOLLOWUP_DELAY))
            reply.headers[FOLLOWUPS_HEADER] = str(len(chunks) - 1)
        return reply

    async def _turn(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], user: str,
                    text: str) -> tuple[str, ...]:
        """Run one Rasa turn; store its choices; return its text messages."""
        collector = CollectingOutputChannel()
        await on_new_message(UserMessage(text, collector, f"{self.prefix}-{user}",
                                         input_channel=self.name()))
        turn = textchat.render_turn(collector.messages, choice_line=self.texts["wechat_choice"],
                                    choice_hint=self.texts["wechat_choice_hint"])
        await self._run(self.store.save_choices, user, turn.payloads())
        return turn.chunks

    def _chunks_of(self, task: asyncio.Future) -> tuple[str, ...]:
        exc = task.exception()
        if exc is not None:
            log.error("%s: the Rasa turn failed (%s)", self.name(), type(exc).__name__)
            log.debug("%s: turn failure", self.name(), exc_info=exc)
            return (self.texts["wechat_error"],)
        return task.result()

    async def _deliver_later(self, task: asyncio.Future, user: str, key: str) -> None:
        """The answer of a turn that missed the time limit, through the API."""
        try:
            await asyncio.wait({task})
            chunks = self._chunks_of(task)
            if chunks:
                await self._send(user, chunks)
        finally:
            await self._run(self.store.finish_message, key, SENT)

    async def _send(self, user: str, chunks: tuple[str, ...], delay: float = 0.0) -> bool:
        """Send text messages in order through the API (in an executor); False on failure."""
        if delay:
            await asyncio.sleep(delay)
        try:
            await self._run(self._send_blocking, user, chunks)
            return True
        except WeChatClientException as exc:
            log.error("%s: sending through the API failed: errcode %s %s", self.name(),
                      exc.errcode, _short(exc.errmsg))
        except requests.RequestException as exc:
            log.error("%s: the API could not be reached (%s)", self.name(), type(exc).__name__)
        except Exception as exc:
            log.error("%s: sending through the API failed (%s)", self.name(),
                      type(exc).__name__)
        return False

    def _send_blocking(self, user: str, chunks: tuple[str, ...]) -> None:
        if self._client is None:
            self._client = self.make_client()
        for chunk in chunks:
            self._client.send_text(user, chunk)
        log.info("%s: %d message(s) sent through the API", self.name(), len(chunks))

    def _reply(self, incoming: Incoming, content: str) -> HTTPResponse:
        message = incoming.message
        xml = TextReply(source=message.target, target=message.source,
                        content=cdata_safe(content)).render()
        return response.text(self.seal(xml, incoming), content_type="application/xml")

    def _background(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run blocking code (database, HTTP) in the loop's executor."""
        return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args))

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait for the background deliveries (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


class WeChatInput(TextMessengerInput):
    """The WeChat Official Account (公众号) channel."""

    prefix = "wechat"

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> WeChatInput:
        """From credentials.yml (WECHAT_* environment variables win); checked at start-up."""
        config = WeChatConfig.from_mapping(credentials)
        if config.token == DEV_TOKEN:
            log.warning("wechat: the development token %r is in use; set WECHAT_TOKEN (and "
                        "WECHAT_APPID, WECHAT_SECRET, WECHAT_ENCODING_AES_KEY) in production",
                        DEV_TOKEN)
        if not config.secret:
            log.warning("wechat: no secret: answers slower than %.1f s cannot be sent",
                        config.reply_timeout)
        if not config.encoding_aes_key:
            log.warning("wechat: no encoding_aes_key: safe mode (encrypted) messages are refused")
        return cls(config, db_url=(credentials or {}).get("db_url"))

    def __init__(self, config: WeChatConfig, db_url: str | None = None,
                 texts: Mapping[str, str] | None = None) -> None:
        super().__init__(config, db_url, texts)
        self.crypto = (WeChatCrypto(config.token, config.encoding_aes_key, config.appid)
                       if config.encoding_aes_key else None)

    def check_url(self, args: Mapping[str, str]) -> str | None:
        echostr = args.get("echostr", "")
        if not echostr or not _signed(self.config.token, args):
            return None
        return echostr

    def check_query(self, args: Mapping[str, str]) -> None:
        if not args.get("signature"):
            raise Rejected(403, "signature missing")
        if not _signed(self.config.token, args):
            raise Rejected(403, "bad signature")
        check_fresh(args, self.config.max_age)

    def open_request(self, args: Mapping[str, str], body: bytes) -> Incoming:
        try:
            data = parse_xml(body)
        except ValueError as exc:
            raise Rejected(400, str(exc)) from None
        encrypted = args.get("encrypt_type", "raw").lower() == "aes"
        if encrypted:
            if self.crypto is None:
                raise Rejected(403, "safe mode message but no encoding_aes_key configured")
            if not isinstance(data.get("Encrypt"), str) or not args.get("msg_signature"):
                raise Rejected(403, "safe mode message without Encrypt or msg_signature")
            try:
                plain = self.crypto.decrypt_message(
                    data, args["msg_signature"], args.get("timestamp", ""), args.get("nonce", ""))
            except InvalidSignatureException:
                raise Rejected(403, "bad msg_signature") from None
            except InvalidAppIdException:
                raise Rejected(403, "AppID in the message is not ours") from None
            except Exception as exc:  # bad base64, padding, length
                raise Rejected(400, f"cannot decrypt ({type(exc).__name__})") from None
            try:
                data = parse_xml(plain.encode("utf-8"))
            except ValueError as exc:
                raise Rejected(400, f"decrypted {exc}") from None
        try:
            message = build_message(data)
        except ValueError as exc:
            raise Rejected(400, str(exc)) from None
        return Incoming(message, encrypted, args.get("nonce", ""))

    def seal(self, xml: str, incoming: Incoming) -> str:
        if incoming.encrypted and self.crypto is not None:
            return self.crypto.encrypt_message(xml, incoming.nonce or "nonce")
        return xml

    def make_client(self) -> OfficialAccountClient:
        if not self.config.secret:
            raise WeChatClientException(None, "no secret configured")
        return OfficialAccountClient(self.config.appid, self.config.secret,
                                     self.config.api_base_url,
                                     DatabaseSessionStorage(self.store.db_url))


# ---- helpers --------------------------------------------------------------------------------
def load_texts() -> dict[str, str]:
    """The wechat_* sentences of knowledge/conversation.yaml (checked there); error if missing."""
    from bot.dialogue import load_conversation

    texts = load_conversation().texts
    missing = [k for k in TEXT_KEYS if not texts.get(k)]
    if missing:
        raise WeChatConfigError(f"knowledge/conversation.yaml: texts lack {', '.join(missing)}")
    found = {k: texts[k] for k in TEXT_KEYS}
    found["wechat_too_long"] = found["wechat_too_long"].replace(
        "{max_chars}", str(textchat.MAX_MESSAGE_CHARS))
    return found


def _query(request: Request) -> dict[str, str]:
    """The query string as single values (the first of each)."""
    return {k: v[0] for k, v in request.args.items() if v}


def _signed(token: str, args: Mapping[str, str]) -> bool:
    try:
        check_signature(token, args.get("signature", ""), args.get("timestamp", ""),
                        args.get("nonce", ""))
    except InvalidSignatureException:
        return False
    return True


def _dedupe_key(message: BaseMessage) -> str:
    """MsgId for messages; sender + CreateTime (+ event) for events, which have no MsgId."""
    data = message._data
    msg_id = str(data.get("MsgId") or data.get("MsgID") or "").strip()
    if msg_id:
        return f"msg:{msg_id}"
    return f"event:{message.source}:{data.get('CreateTime', '')}:{data.get('Event', '')}"


def _text_field(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _short(text: Any, limit: int = 120) -> str:
    return str(text or "")[:limit]
