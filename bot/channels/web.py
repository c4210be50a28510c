"""The web chat page: a Rasa input channel that serves a chat page and its JSON endpoints.

Everything is under ``/webhooks/web/`` on the Rasa port (credentials.yml names the channel
``bot.channels.web.WebChatInput``):

======================  =========================================================================
``GET  /``              the page (``webchat/index.html``), with a strict Content-Security-Policy
``GET  /static/<name>`` its assets (``webchat/``: chat.css, chat.js, the font); nothing else
``POST /webhook``       ``{"sender", "message"}`` → the bubbles ``[{"text", "buttons"}]``
``GET  /history``       ``?sender=`` → ``[{"role", "text", "buttons", "timestamp"}]`` (the tracker)
``GET  /article``       ``?ref=`` → ``{"ref", "title", "text"}`` (a 展开原文 card; no Rasa turn)
``GET  /config``        the privacy notice, the welcome, labels and limits the page needs
``GET  /staff``         ``?sender=`` → ``{"staff": true|false}``: whether the page may adopt an id
                        given in its address (only ids listed in config/staff.yml)
======================  =========================================================================

The page's sender ids are stored in the tracker as ``web-<id>`` so they never collide with
another channel's. The texts the server and the page show are in ``knowledge/webchat.yaml``.
Bad input gets a 400 with ``{"error": "<中文说明>"}``; nothing the citizen writes is logged.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import config
from bot.channels import textchat

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).with_name("webchat")
TEXTS_FILE = "webchat.yaml"
SENDER_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
TRACKER_PREFIX = "web-"
MAX_MESSAGE_CHARS = textchat.MAX_MESSAGE_CHARS
MAX_BODY_BYTES = 64 * 1024
MAX_REF_CHARS = 200
HISTORY_LIMIT = 400  # the newest entries a reload shows
ASSET_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9]+)+")
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
ASSET_CACHE = "public, max-age=86400"
# The last-resort answer when knowledge/webchat.yaml itself cannot be read while running.
FALLBACK_ERROR = "抱歉，服务暂时出了点问题，请稍后再试。"
_PAYLOAD_RE = re.compile(r"/([A-Za-z_][A-Za-z0-9_]*)(.*)", re.S)
_DIGITS_RE = re.compile(r"(?<![\d-])\d{3,}(?![\d-])")
_FRAME_SOURCE_RE = re.compile(r"'self'|'none'|\*|https?://[A-Za-z0-9.*-]+(?::\d{1,5})?")

SECURITY_HEADERS = MappingProxyType({  # read-only: Sanic adds to the headers dicts it is given
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
})


def content_security_policy(frame_ancestors: str = "'self'") -> str:
    """The page's policy: only its own scripts, styles, fonts and endpoints; no inline, no eval."""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            f"form-action 'self'; frame-ancestors {frame_ancestors}")


def check_frame_ancestors(value: str) -> str:
    """Validate a CSP ``frame-ancestors`` source list (who may embed the page in an iframe)."""
    sources = str(value or "").split()
    if not sources or not all(_FRAME_SOURCE_RE.fullmatch(s) for s in sources):
        raise ValueError(f"frame_ancestors must be 'self', 'none', * or http(s) origins separated "
                         f"by spaces, got {value!r}")
    return " ".join(sources)


# ---- texts (knowledge/webchat.yaml) -------------------------------------------------------------
class WebTextsError(ValueError):
    """knowledge/webchat.yaml is missing something or names a number that is not a hotline."""


@dataclass(frozen=True)
class WebTexts:
    """knowledge/webchat.yaml, checked."""

    page: Mapping[str, Any]
    labels: Mapping[str, str]
    errors: Mapping[str, str]
    payload_labels: Mapping[str, str]
    hotlines: tuple[dict[str, str], ...]

    def error(self, key: str, **values: Any) -> str:
        """An error message with its {placeholders} filled."""
        return fill(self.errors[key], **values)


REQUIRED = {
    "page": {"welcome", "privacy"},
    "labels": {"new_conversation_confirm", "expand_article", "collapse_article",
               "article_loading", "typing", "no_reply", "send_failed", "timeout",
               "kept_in_input", "server_error", "history_failed", "quick_replies",
               "failed_mark", "you", "bot"},
    "errors": {"bad_json", "bad_encoding", "body_too_large", "bad_sender", "bad_message",
               "empty_message", "too_long", "binary_message", "server_error",
               "article_missing", "article_not_found", "not_found"},
    "payload_labels": {"default"},
}


def fill(text: str, **values: Any) -> str:
    """Replace ``{name}`` placeholders (other braces are left alone)."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def _national_hotlines() -> dict[str, str]:
    from bot.knowledge.loader import load_hotlines

    return {h["number"]: h["name"] for h in load_hotlines(config.knowledge_dir() / "hotlines.yaml")}


@functools.lru_cache(maxsize=4)
def _load_texts(path_str: str, mtime: float) -> WebTexts:
    path = Path(path_str)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise WebTextsError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, Mapping):
        raise WebTextsError(f"{path}: the top level must be a mapping")
    hotlines = _national_hotlines()
    sections: dict[str, dict[str, Any]] = {}
    for section, keys in REQUIRED.items():
        raw = data.get(section)
        if not isinstance(raw, Mapping):
            raise WebTextsError(f"{path}: {section} is missing or not a mapping")
        missing = keys - set(raw)
        if missing:
            raise WebTextsError(f"{path}: {section} lacks {', '.join(sorted(missing))}")
        for key, value in raw.items():
            texts = [value] if isinstance(value, str) else value
            if not isinstance(texts, list) or not all(isinstance(t, str) and t for t in texts):
                raise WebTextsError(f"{path}: {section}.{key} must be text")
            for text in texts:
                for number in _DIGITS_RE.findall(text):
                    if number not in hotlines:
                        raise WebTextsError(f"{path}: {section}.{key}: {number} is not a "
                                            f"national hotline of hotlines.yaml")
        sections[section] = dict(raw)
    numbers = [str(n) for n in sections["page"].get("hotlines") or []]
    unknown = [n for n in numbers if n not in hotlines]
    if unknown:
        raise WebTextsError(f"{path}: page.hotlines: {', '.join(unknown)} not in hotlines.yaml")
    return WebTexts(
        page=sections["page"], labels=sections["labels"], errors=sections["errors"],
        payload_labels=sections["payload_labels"],
        hotlines=tuple({"number": n, "name": hotlines[n]} for n in numbers),
    )


def load_texts(path: Path | str | None = None) -> WebTexts:
    """Load and check knowledge/webchat.yaml (cached until the file changes)."""
    path = Path(path) if path else config.knowledge_dir() / TEXTS_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise WebTextsError(f"{path}: cannot read: {exc}") from None
    return _load_texts(str(path), mtime)


def page_config(texts: WebTexts | None = None) -> dict[str, Any]:
    """What the page needs: welcome, privacy notice (with the retention days), labels, limits."""
    from bot.consultations import retention_days

    texts = texts or load_texts()
    labels = dict(texts.labels)
    labels["too_long"] = texts.errors["too_long"]
    labels["empty"] = texts.errors["empty_message"]
    return {
        "welcome": texts.page["welcome"],
        "privacy": fill(texts.page["privacy"], retention_days=retention_days()),
        "retention_days": retention_days(),
        "hotlines": list(texts.hotlines),
        "max_chars": MAX_MESSAGE_CHARS,
        "labels": labels,
    }


# ---- the message a page posts -----------------------------------------------------------------
class WebInputError(ValueError):
    """A request the page (or anyone) sent that cannot be answered; ``message`` is Chinese."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def tracker_sender_id(sender: str) -> str:
    """The tracker's conversation id for a sender id of this page."""
    return TRACKER_PREFIX + sender


def check_sender(sender: Any, texts: WebTexts) -> str:
    """The sender id if it is safe (letters, digits, _ and -, 8 to 64 characters)."""
    if not isinstance(sender, str) or not SENDER_RE.fullmatch(sender):
        raise WebInputError(texts.error("bad_sender"))
    return sender


def clean_message(message: Any, texts: WebTexts) -> str:
    """The message text, trimmed, with line ends unified; a clear error when it is unusable."""
    try:
        return textchat.clean_text(message, MAX_MESSAGE_CHARS)
    except textchat.TextProblem as exc:
        raise WebInputError(texts.error(exc.kind, count=exc.count,
                                        max_chars=MAX_MESSAGE_CHARS)) from None


def parse_message(body: bytes | None, texts: WebTexts) -> tuple[str, str]:
    """``(sender, message)`` from a POSTed JSON body, or WebInputError."""
    if body is not None and len(body) > MAX_BODY_BYTES:
        raise WebInputError(texts.error("body_too_large"), 413)
    try:
        raw = (body or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise WebInputError(texts.error("bad_encoding")) from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise WebInputError(texts.error("bad_json")) from None
    if not isinstance(data, dict):
        raise WebInputError(texts.error("bad_json"))
    return check_sender(data.get("sender"), texts), clean_message(data.get("message"), texts)


# ---- messages and history -----------------------------------------------------------------------
def article_ref(payload: str) -> str | None:
    """The reference of a 查看原文 button's payload (``/ask_article{"article_ref": "…"}``)."""
    match = _PAYLOAD_RE.fullmatch(payload or "")
    if not match or match.group(1) != "ask_article":
        return None
    try:
        entities = json.loads(match.group(2) or "{}")
    except ValueError:
        return None
    ref = entities.get("article_ref") if isinstance(entities, dict) else None
    return ref if isinstance(ref, str) and ref.strip() else None


def clean_buttons(buttons: Any) -> list[dict[str, str]]:
    """Buttons as ``{"title", "payload"}`` (plus ``article_ref`` for 查看原文 buttons)."""
    result = []
    for button in buttons if isinstance(buttons, list) else []:
        if not isinstance(button, Mapping):
            continue
        title, payload = button.get("title"), button.get("payload")
        if not isinstance(title, str) or not title.strip():
            continue
        payload = payload if isinstance(payload, str) and payload else title
        entry = {"title": title, "payload": payload}
        ref = article_ref(payload)
        if ref:
            entry["article_ref"] = ref
        result.append(entry)
    return result


def bot_messages(collected: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What a CollectingOutputChannel gathered, as the page's bubbles."""
    now = time.time()
    messages = []
    for message in collected:
        text = message.get("text")
        buttons = clean_buttons(message.get("buttons"))
        if not isinstance(text, str) or not (text.strip() or buttons):
            continue
        messages.append({"text": text, "buttons": buttons, "timestamp": now})
    return messages


def _split_like_rest(text: str, has_buttons: bool) -> list[str]:
    """Bubbles as the REST output channel sends them: a text without buttons is split at
    blank lines (CollectingOutputChannel.send_text_message), one with buttons is not."""
    if has_buttons:
        return [text]
    return [part for part in text.strip().split("\n\n")]


def payload_title(payload: str, earlier_buttons: Iterable[Mapping[str, str]],
                  texts: WebTexts) -> str:
    """What a button payload the citizen sent shows as: the button's title, else a label."""
    for button in earlier_buttons:
        if button.get("payload") == payload:
            return button["title"]
    match = _PAYLOAD_RE.fullmatch(payload)
    intent = match.group(1) if match else ""
    ref = article_ref(payload)
    if ref:
        try:
            from bot.dialogue import article_buttons

            found = article_buttons([ref])
            if found:
                return found[0].title
        except Exception:  # a label is enough when the reference is unknown
            logger.debug("no article button for a history payload")
    return texts.payload_labels.get(intent) or texts.payload_labels["default"]


def is_payload(text: str) -> bool:
    """Whether a user text is a button payload (``/intent`` or ``/intent{…}``)."""
    return bool(_PAYLOAD_RE.fullmatch(text or "")) and " " not in text.split("{", 1)[0]


def history_from_events(events: Iterable[Mapping[str, Any]],
                        texts: WebTexts | None = None) -> list[dict[str, Any]]:
    """The conversation in tracker events (as dicts) as the page's history entries.

    A user event holding a button payload shows the button's title (looked up in the bot
    messages before it, newest first), never the raw payload.
    """
    texts = texts or load_texts()
    entries: list[dict[str, Any]] = []
    buttons_seen: list[dict[str, str]] = []
    for event in events:
        kind, text = event.get("event"), event.get("text")
        timestamp = event.get("timestamp")
        if not isinstance(text, str) or not text.strip():
            continue
        if kind == "user":
            shown = text
            if is_payload(text.strip()):
                shown = payload_title(text.strip(), reversed(buttons_seen), texts)
            entries.append({"role": "user", "text": shown, "buttons": [],
                            "timestamp": timestamp})
        elif kind == "bot":
            buttons = clean_buttons((event.get("data") or {}).get("buttons"))
            if not (isinstance(text, str) and text.strip()) and not buttons:
                continue  # machine-readable data only (the route as JSON): not a bubble
            buttons_seen.extend(buttons)
            for part in _split_like_rest(text, bool(buttons)):
                entries.append({"role": "bot", "text": part, "buttons": [],
                                "timestamp": timestamp})
            entries[-1]["buttons"] = buttons
    return entries[-HISTORY_LIMIT:]


def article(ref: Any, texts: WebTexts | None = None) -> dict[str, str]:
    """``{"ref", "title", "text"}`` of an article reference, or WebInputError (404 if unknown)."""
    from bot.followups import article_full_text

    texts = texts or load_texts()
    if not isinstance(ref, str) or not ref.strip() or len(ref) > MAX_REF_CHARS:
        raise WebInputError(texts.error("article_missing"))
    try:
        full = article_full_text(ref.strip())
    except ValueError:
        raise WebInputError(texts.error("article_not_found"), 404) from None
    title, _, body = full.partition("\n")
    return {"ref": ref.strip(), "title": title, "text": body}


# ---- HTTP ---------------------------------------------------------------------------------------
def _dumps(data: Any, **kwargs: Any) -> str:
    return json.dumps(data, ensure_ascii=False, **kwargs)


def json_response(data: Any, status: int = 200) -> HTTPResponse:
    """JSON with the security headers, never cached."""
    return response.json(data, status=status, dumps=_dumps,
                         headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


def error_response(message: str, status: int = 400) -> HTTPResponse:
    """``{"error": message}``."""
    return json_response({"error": message}, status)


def log_failure(event: str, exc: BaseException) -> None:
    """A failure: its type at ERROR, the traceback (which may hold what the citizen wrote)
    only at DEBUG."""
    logger.error("%s (%s)", event, type(exc).__name__)
    logger.debug("%s: traceback", event, exc_info=exc)


def server_error(status: int = 500) -> HTTPResponse:
    """The server_error text of webchat.yaml, or FALLBACK_ERROR when that file is broken."""
    try:
        message = load_texts().error("server_error")
    except Exception as exc:
        log_failure("web.texts.unreadable", exc)
        message = FALLBACK_ERROR
    return error_response(message, status)


def is_staff_sender(sender: Any) -> bool:
    """Whether a page sender id is listed as staff (config/staff.yml, as ``web-<id>``)."""
    if not isinstance(sender, str) or not SENDER_RE.fullmatch(sender):
        return False
    from bot.practice.chat import staff_id_for

    return staff_id_for(tracker_sender_id(sender)) is not None


@functools.lru_cache(maxsize=8)
def _asset_version(path_str: str, mtime: float) -> str:
    return hashlib.sha256(Path(path_str).read_bytes()).hexdigest()[:12]


def asset_version(name: str) -> str:
    """A short hash of an asset's content (the page links ``static/<name>?v=<hash>``)."""
    path = ASSETS_DIR / name
    return _asset_version(str(path), path.stat().st_mtime)


def page_html() -> str:
    """index.html with its stylesheet and script linked by content version."""
    html = (ASSETS_DIR / "index.html").read_text("utf-8")
    for name in ("chat.css", "chat.js"):
        html = html.replace(f'"static/{name}"', f'"static/{name}?v={asset_version(name)}"')
    return html


def asset_path(name: str) -> Path | None:
    """The file for ``static/<name>``: only a plain file name in webchat/ with a known type."""
    if not isinstance(name, str) or not ASSET_NAME_RE.fullmatch(name):
        return None
    path = ASSETS_DIR / name
    if path.suffix not in CONTENT_TYPES or not path.is_file():
        return None
    if path.resolve().parent != ASSETS_DIR.resolve():
        return None
    return path


class WebChatInput(RestInput):
    """The web chat page and its endpoints (``/webhooks/web/``), on the Rasa server's port."""

    def __init__(self, frame_ancestors: str = "'self'") -> None:
        self.frame_ancestors = check_frame_ancestors(frame_ancestors)

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebChatInput:
        """Optional setting ``frame_ancestors`` (or ``WEBCHAT_FRAME_ANCESTORS``): the sites that
        may show the page in an iframe, e.g. ``"'self' https://xf.example.gov.cn"``."""
        credentials = credentials or {}
        value = (os.environ.get("WEBCHAT_FRAME_ANCESTORS")
                 or credentials.get("frame_ancestors") or "'self'")
        return cls(frame_ancestors=value)

    def page_headers(self) -> dict[str, str]:
        """Headers of the HTML page."""
        return {**SECURITY_HEADERS, "Cache-Control": "no-cache",
                "Content-Security-Policy": content_security_policy(self.frame_ancestors)}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The routes under /webhooks/web/."""
        web = Blueprint("web_chat_page", __name__)
        load_texts()  # fail at start-up, with the file named, if the texts are broken

        @web.route("", methods=["GET", "HEAD"], strict_slashes=True, name="page_redirect")
        async def page_redirect(request: Request) -> HTTPResponse:
            query = f"?{request.query_string}" if request.query_string else ""
            return response.redirect(f"{request.path}/{query}", headers=dict(SECURITY_HEADERS),
                                     status=301)

        @web.route("/", methods=["GET", "HEAD"], strict_slashes=True, name="page")
        async def page(request: Request) -> HTTPResponse:
            return response.html(page_html(), headers=self.page_headers())

        @web.route("/static/<name>", methods=["GET", "HEAD"], name="static_asset")
        async def static(request: Request, name: str) -> HTTPResponse:
            path = asset_path(name)
            if path is None:
                try:
                    return error_response(load_texts().error("not_found"), 404)
                except Exception:
                    return error_response(FALLBACK_ERROR, 404)
            stat = path.stat()
            etag = f'"{stat.st_size:x}-{int(stat.st_mtime * 1000):x}"'
            headers = {**SECURITY_HEADERS, "Cache-Control": ASSET_CACHE, "ETag": etag}
            if request.headers.get("if-none-match") == etag:
                return response.empty(status=304, headers=headers)
            return await response.file(path, mime_type=CONTENT_TYPES[path.suffix],
                                       headers=headers)

        @web.route("/config", methods=["GET"], name="page_config")
        async def page_settings(request: Request) -> HTTPResponse:
            try:
                return json_response(page_config())
            except Exception as exc:  # a clear message, never a stack trace
                log_failure("web.config.failed", exc)
                return server_error()

        @web.route("/staff", methods=["GET"], name="staff")
        async def staff(request: Request) -> HTTPResponse:
            try:
                return json_response({"staff": is_staff_sender(request.args.get("sender"))})
            except Exception as exc:
                log_failure("web.staff.failed", exc)
                return json_response({"staff": False})

        @web.route("/webhook", methods=["POST"], name="receive")
        async def receive(request: Request) -> HTTPResponse:
            try:
                texts = load_texts()
            except Exception as exc:
                log_failure("web.texts.unreadable", exc)
                return error_response(FALLBACK_ERROR, 500)
            try:
                sender, text = parse_message(request.body, texts)
            except WebInputError as exc:
                return error_response(exc.message, exc.status)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, tracker_sender_id(sender),
                                                 input_channel=self.name()))
            except asyncio.CancelledError:
                logger.error("web.message.cancelled")
                return server_error(503)
            except Exception as exc:  # logged without the citizen's text
                log_failure("web.message.failed", exc)
                return server_error()
            return json_response(bot_messages(collector.messages))

        @web.route("/history", methods=["GET"], name="history")
        async def history(request: Request) -> HTTPResponse:
            try:
                texts = load_texts()
            except Exception as exc:
                log_failure("web.texts.unreadable", exc)
                return error_response(FALLBACK_ERROR, 500)
            try:
                sender = check_sender(request.args.get("sender"), texts)
            except WebInputError as exc:
                return error_response(exc.message, exc.status)
            try:
                store = request.app.ctx.agent.tracker_store
                tracker = await store.retrieve_full_tracker(tracker_sender_id(sender))
                if tracker is None:
                    return json_response([])
                events = [event.as_dict() for event in tracker.events]
                return json_response(history_from_events(events, texts))
            except Exception as exc:
                log_failure("web.history.failed", exc)
                return server_error()

        @web.route("/article", methods=["GET"], name="article")
        async def article_text(request: Request) -> HTTPResponse:
            try:
                texts = load_texts()
            except Exception as exc:
                log_failure("web.texts.unreadable", exc)
                return error_response(FALLBACK_ERROR, 500)
            try:
                return json_response(article(request.args.get("ref"), texts))
            except WebInputError as exc:
                return error_response(exc.message, exc.status)
            except Exception as exc:
                log_failure("web.article.failed", exc)
                return server_error()

        return web
