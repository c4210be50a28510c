"""The web chat page's channel (bot/channels/web.py): input checks, history, articles, assets,
and every route through a real Sanic server (a fake Rasa agent behind it)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from sanic import Sanic

from bot.channels import web
from bot.channels.web import (
    MAX_MESSAGE_CHARS,
    WebChatInput,
    WebInputError,
    WebTextsError,
    article,
    asset_path,
    bot_messages,
    check_frame_ancestors,
    clean_buttons,
    content_security_policy,
    history_from_events,
    load_texts,
    page_config,
    parse_message,
)
from bot.dialogue import article_payload
from bot.followups import article_full_text
from bot.knowledge import KnowledgeBase
from tests.conftest import ROOT
from tests.wechat_fakes import free_port

ASSETS = ROOT / "bot" / "channels" / "webchat"
SENDER = "a1b2c3d4e5f6a7b8"


@pytest.fixture(scope="module")
def texts() -> web.WebTexts:
    return load_texts()


def body(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


# ---- texts and config ------------------------------------------------------------------------
def test_texts_load_and_name_only_national_hotlines(texts: web.WebTexts) -> None:
    assert "{retention_days}" in texts.page["privacy"]
    assert [h["number"] for h in texts.hotlines][:1] == ["12348"]
    assert all(h["name"] for h in texts.hotlines)


@pytest.mark.parametrize("change, problem", [
    (lambda d: d["errors"].update(server_error="请拨打88886666"), "88886666"),
    (lambda d: d["labels"].pop("typing"), "typing"),
    (lambda d: d["page"].update(hotlines=["99999"]), "99999"),
    (lambda d: d.pop("errors"), "errors"),
])
def test_broken_texts_are_refused_with_the_problem_named(knowledge_copy: Path, change,
                                                         problem: str) -> None:
    path = knowledge_copy / "webchat.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(WebTextsError) as info:
        load_texts(path)
    assert problem in str(info.value)


def test_config_has_the_privacy_notice_with_the_retention_days(monkeypatch, texts) -> None:
    monkeypatch.setenv("BOT_RETENTION_DAYS", "45")
    settings = page_config(texts)
    assert "45天后删除" in settings["privacy"]
    assert "遮盖" in settings["privacy"] and "摘要" in settings["privacy"]
    assert settings["retention_days"] == 45
    assert settings["max_chars"] == MAX_MESSAGE_CHARS
    assert {"expand_article", "collapse_article", "too_long", "send_failed"} <= set(
        settings["labels"])
    assert settings["welcome"]


# ---- the posted message ----------------------------------------------------------------------
def test_a_good_message_is_trimmed_and_its_line_ends_unified(texts) -> None:
    assert parse_message(body({"sender": SENDER, "message": "  工资\r\n没发\x07  "}), texts) == (
        SENDER, "工资\n没发")
    assert parse_message(body({"sender": "A_b-" * 16, "message": "x" * MAX_MESSAGE_CHARS}),
                         texts)[1] == "x" * MAX_MESSAGE_CHARS


@pytest.mark.parametrize("data, expected", [
    (b"not json", "请求格式不对"),
    (b"", "请求格式不对"),
    (body(["a", "b"]), "请求格式不对"),
    (body("文字"), "请求格式不对"),
    ("{\"sender\": \"abcdefgh\", \"message\": \"工资\"}".encode("gbk"), "UTF-8"),
    (b"\xff\xfe\x00\x01binary", "UTF-8"),
    (body({"message": "你好"}), "会话编号无效"),
    (body({"sender": "short", "message": "你好"}), "会话编号无效"),
    (body({"sender": "x" * 65, "message": "你好"}), "会话编号无效"),
    (body({"sender": "../../etc", "message": "你好"}), "会话编号无效"),
    (body({"sender": "abc def ghi", "message": "你好"}), "会话编号无效"),
    (body({"sender": 12345678, "message": "你好"}), "会话编号无效"),
    (body({"sender": SENDER}), "应当是一段文字"),
    (body({"sender": SENDER, "message": None}), "应当是一段文字"),
    (body({"sender": SENDER, "message": 12}), "应当是一段文字"),
    (body({"sender": SENDER, "message": ["你好"]}), "应当是一段文字"),
    (body({"sender": SENDER, "message": ""}), "请先输入"),
    (body({"sender": SENDER, "message": " \n\t "}), "请先输入"),
    (body({"sender": SENDER, "message": "你好\x00"}), "无法识别的字符"),
    (b'{"sender": "a1b2c3d4e5f6a7b8", "message": "\\ud800abc"}', "无法识别的字符"),
    (body({"sender": SENDER, "message": "\x01\x02\u200b"}), "无法识别的字符"),
])
def test_bad_requests_get_a_clear_chinese_message(texts, data: bytes, expected: str) -> None:
    with pytest.raises(WebInputError) as info:
        parse_message(data, texts)
    assert expected in info.value.message and info.value.status == 400
    assert "Traceback" not in info.value.message


def test_a_long_message_is_refused_with_its_length_and_a_way_out(texts) -> None:
    with pytest.raises(WebInputError) as info:
        parse_message(body({"sender": SENDER, "message": "拖" * 2345}), texts)
    assert "2345个字" in info.value.message and f"{MAX_MESSAGE_CHARS}字" in info.value.message
    assert "分成几条" in info.value.message
    with pytest.raises(WebInputError) as info:
        parse_message(b'{"sender": "a1b2c3d4e5f6a7b8", "message": "' + b"x" * 70_000 + b'"}', texts)
    assert info.value.status == 413 and "分成几条" in info.value.message


def test_tracker_ids_are_namespaced() -> None:
    assert web.tracker_sender_id(SENDER) == "web-" + SENDER


# ---- buttons, bot messages, history ----------------------------------------------------------
def test_buttons_keep_title_and_payload_and_name_the_article() -> None:
    ref = "条例 第31条 第2项"
    buttons = clean_buttons([
        {"title": "《信访工作条例》第三十一条第二项原文", "payload": article_payload(ref)},
        {"title": "有帮助", "payload": "/feedback_helpful"},
        {"title": "没有"},
        {"title": "", "payload": "/x"},
        {"title": "坏的", "payload": "/ask_article{not json"},
        "junk",
    ])
    assert buttons == [
        {"title": "《信访工作条例》第三十一条第二项原文", "payload": article_payload(ref),
         "article_ref": ref},
        {"title": "有帮助", "payload": "/feedback_helpful"},
        {"title": "没有", "payload": "没有"},
        {"title": "坏的", "payload": "/ask_article{not json"},
    ]


def test_bot_messages_drop_empty_ones() -> None:
    messages = bot_messages([
        {"recipient_id": "web-x", "text": "第一条"},
        {"recipient_id": "web-x", "image": "http://x/y.png"},
        {"recipient_id": "web-x", "text": "选吧", "buttons": [{"title": "有", "payload": "有"}]},
    ])
    assert [(m["text"], m["buttons"]) for m in messages] == [
        ("第一条", []), ("选吧", [{"title": "有", "payload": "有"}])]
    assert all(isinstance(m["timestamp"], float) for m in messages)
    assert "recipient_id" not in messages[0]


def _events() -> list[dict]:
    ref = "条例 第31条 第2项"
    events = [
        SlotSet("channel", None, timestamp=1.0),
        UserUttered("单位拖欠工资", timestamp=10.0),
        ActionExecuted("action_triage", timestamp=10.5),
        BotUttered("对方是谁？", data={"buttons": [{"title": "用人单位", "payload": "用人单位"}]},
                   timestamp=11.0),
        UserUttered("用人单位", timestamp=12.0),
        BotUttered("建议途径：劳动仲裁\n说明\n\n第二段", timestamp=13.0),
        BotUttered("依据：……", data={"buttons": [
            {"title": "《信访工作条例》第三十一条第二项原文", "payload": article_payload(ref)}]},
            timestamp=13.1),
        BotUttered("这些信息对您有帮助吗？", data={"buttons": [
            {"title": "有帮助", "payload": "/feedback_helpful"},
            {"title": "没帮助", "payload": "/feedback_unhelpful"}]}, timestamp=13.2),
        UserUttered(article_payload(ref), timestamp=14.0),
        UserUttered("/feedback_helpful", timestamp=15.0),
        UserUttered("/human_handoff", timestamp=16.0),
        UserUttered(article_payload("条例 第31条"), timestamp=17.0),
        UserUttered("/some_unknown_intent{\"x\": 1}", timestamp=18.0),
        UserUttered("/ 不是按钮", timestamp=19.0),
        UserUttered(None, timestamp=20.0),
    ]
    return [e.as_dict() for e in events]


def test_history_shows_the_conversation_with_button_titles_not_payloads(use_kb, texts) -> None:
    history = history_from_events(_events(), texts)
    assert [(h["role"], h["text"]) for h in history] == [
        ("user", "单位拖欠工资"),
        ("bot", "对方是谁？"),
        ("user", "用人单位"),
        ("bot", "建议途径：劳动仲裁\n说明"),
        ("bot", "第二段"),
        ("bot", "依据：……"),
        ("bot", "这些信息对您有帮助吗？"),
        ("user", "《信访工作条例》第三十一条第二项原文"),
        ("user", "有帮助"),
        ("user", "转人工"),
        ("user", "《信访工作条例》第三十一条原文"),
        ("user", texts.payload_labels["default"]),
        ("user", "/ 不是按钮"),
    ]
    assert history[1]["buttons"] == [{"title": "用人单位", "payload": "用人单位"}]
    assert history[5]["buttons"][0]["article_ref"] == "条例 第31条 第2项"
    assert [h["timestamp"] for h in history[:3]] == [10.0, 11.0, 12.0]
    assert not any("{" in h["text"] for h in history if h["role"] == "user")


def test_history_of_nothing_is_empty(texts) -> None:
    assert history_from_events([], texts) == []


# ---- articles --------------------------------------------------------------------------------
def test_article_gives_title_and_exact_text(use_kb, kb: KnowledgeBase, texts) -> None:
    found = article("条例 第31条 第2项", texts)
    full = article_full_text("条例 第31条 第2项", kb)
    assert found["ref"] == "条例 第31条 第2项"
    assert found["title"].startswith("《信访工作条例》第三十一条第二项")
    assert "现行有效" in found["title"]
    assert f"{found['title']}\n{found['text']}" == full
    assert "仲裁" in found["text"]


@pytest.mark.parametrize("ref, status", [
    ("条例 第99条", 404), ("完全不是条文", 404), ("<script>alert(1)</script>", 404),
    ("", 400), (None, 400), ("条" * 300, 400)])
def test_unknown_articles_get_a_clear_message(use_kb, texts, ref, status: int) -> None:
    with pytest.raises(WebInputError) as info:
        article(ref, texts)
    assert info.value.status == status
    assert re.search(r"[\u4e00-\u9fff]", info.value.message)
    if status == 404:  # the fixed text only: nothing of the reference or of Python's message
        assert info.value.message == texts.error("article_not_found")


# ---- assets and headers ----------------------------------------------------------------------
def test_only_plain_asset_names_in_the_folder_are_served() -> None:
    assert asset_path("chat.js") == ASSETS / "chat.js"
    assert asset_path("chat.css") == ASSETS / "chat.css"
    for name in ["../web.py", "..", ".", "", "chat.css/../chat.js", "..%2fweb.py", "/etc/passwd",
                 "index.html", "web.py", ".hidden.css", "chat.css\x00.js", "nope.css", "a\\b.css"]:
        assert asset_path(name) is None, name


def test_the_policy_allows_nothing_inline_or_foreign() -> None:
    policy = content_security_policy()
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert "frame-ancestors 'self'" in policy
    assert check_frame_ancestors("'self'  https://xf.example.gov.cn") == (
        "'self' https://xf.example.gov.cn")
    for bad in ["", "'self'; script-src *", "https://a.cn\r\nX-Evil: 1", "javascript:x",
                "'unsafe-inline'"]:
        with pytest.raises(ValueError):
            check_frame_ancestors(bad)


def test_embedding_sites_come_from_the_credentials_or_environment(monkeypatch) -> None:
    monkeypatch.delenv("WEBCHAT_FRAME_ANCESTORS", raising=False)
    assert WebChatInput.from_credentials(None).frame_ancestors == "'self'"
    assert WebChatInput.from_credentials(
        {"frame_ancestors": "https://xf.example.gov.cn"}).frame_ancestors == (
        "https://xf.example.gov.cn")
    monkeypatch.setenv("WEBCHAT_FRAME_ANCESTORS", "'self' https://a.example.cn")
    assert WebChatInput.from_credentials({}).frame_ancestors == "'self' https://a.example.cn"
    assert WebChatInput.name() == "web"


def test_the_page_script_never_writes_markup_or_evaluates_code() -> None:
    script = (ASSETS / "chat.js").read_text("utf-8")
    for forbidden in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                      "new Function", "setTimeout(\"", "setAttribute(\"style\""]:
        assert forbidden not in script, forbidden
    assert "textContent" in script and "createTextNode" in script
    assert "crypto.getRandomValues" in script and "localStorage" in script
    assert 'rel = "noopener noreferrer"' in script
    assert 'url.protocol !== "http:" && url.protocol !== "https:"' in script


def test_the_page_has_no_inline_code_and_nothing_from_elsewhere() -> None:
    html = (ASSETS / "index.html").read_text("utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+\s*=", html) and "style=" not in html and "<style" not in html
    for name in ("index.html", "chat.css", "chat.js"):
        text = (ASSETS / name).read_text("utf-8")
        assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", text), name
        assert not re.search(r"url\(\s*[\"']?(?:https?:)?//", text), name
        assert "@import" not in text, name
    assert 'lang="zh-CN"' in html and 'name="viewport"' in html
    assert '<label for="input"' in html and 'role="log"' in html and 'aria-live="polite"' in html
    assert 'id="handoff"' in html and 'data-payload="/human_handoff"' in html
    assert "仅供参考，不构成法律意见；法律援助请拨打12348" in html


def test_the_page_uses_common_chinese_fonts_then_the_bundled_one() -> None:
    css = (ASSETS / "chat.css").read_text("utf-8")
    assert re.search(r'@font-face\s*{[^}]*font-family:\s*"Xinfang Sans";[^}]*'
                     r'src:\s*url\("xinfang-sans\.woff2"\)', css)
    stack = re.search(r"--font:\s*([^;]+);", css).group(1)
    families = [f.strip().strip('"') for f in stack.split(",")]
    assert families == ["PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
                        "Source Han Sans SC", "WenQuanYi Micro Hei", "Xinfang Sans", "sans-serif"]
    assert ":focus-visible" in css and "@media (max-width: 480px)" in css
    font = (ASSETS / "xinfang-sans.woff2").read_bytes()
    assert font[:4] == b"wOF2"  # a real woff2 file, not a pointer or a broken copy
    assert len(font) < 2 * 1024 * 1024  # the repository takes no file over 2 MB


# ---- the routes, through a real Sanic server -------------------------------------------------
class FakeAgent:
    """What the channel uses of Rasa's agent: the tracker store."""

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, kb_url: str) -> Iterator[dict]:
    """The channel's blueprint on a Sanic server in a thread, with a fake bot that records
    the conversation in an in-memory tracker store like Rasa does."""
    import os

    old_url = os.environ.get("BOT_DB_URL")
    os.environ["BOT_DB_URL"] = kb_url
    agent = FakeAgent()
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)
        if message.text.startswith("出错"):  # an error whose message holds the citizen's text
            raise RuntimeError(f"the bot broke on {message.text!r}")
        store = agent.tracker_store
        tracker = await store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text))
        replies = [{"text": f"收到：{message.text}\n\n第二段"},
                   {"text": "有帮助吗？", "buttons": [
                       {"title": "有帮助", "payload": "/feedback_helpful"},
                       {"title": "《信访工作条例》第三十一条原文",
                        "payload": article_payload("条例 第31条")}]}]
        for reply in replies:
            await message.output_channel.send_response(message.sender_id, dict(reply))
            tracker.update(BotUttered(reply["text"], data={"buttons": reply.get("buttons")}))
        await store.save(tracker)

    app = Sanic(f"webchat_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(WebChatInput().blueprint(on_new_message), url_prefix="/webhooks/web")
    app.ctx.agent = agent
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    async def serve() -> None:
        server = await app.create_server(host="127.0.0.1", port=port,
                                         return_asyncio_server=True)
        await server.startup()
        holder["stop"] = asyncio.Event()
        started.set()
        await holder["stop"].wait()
        server.close()
        await server.wait_closed()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert started.wait(30), "the test server did not start"
    yield {"base": f"http://127.0.0.1:{port}/webhooks/web", "received": received,
           "agent": agent}
    loop.call_soon_threadsafe(holder["stop"].set)
    thread.join(timeout=10)
    assert not thread.is_alive(), "the test server did not stop"
    loop.close()
    if old_url is None:
        os.environ.pop("BOT_DB_URL", None)
    else:
        os.environ["BOT_DB_URL"] = old_url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch(url: str, data: bytes | None = None, headers: dict | None = None,
          follow: bool = True) -> tuple[int, dict, bytes]:
    """(status, headers, body) of a request, whatever the status."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post(server: dict, data: Any) -> tuple[int, Any]:
    raw = data if isinstance(data, bytes) else body(data)
    status, _, content = fetch(server["base"] + "/webhook", raw,
                               {"Content-Type": "application/json"})
    return status, json.loads(content)


def test_the_page_is_served_with_strict_headers(server: dict) -> None:
    status, headers, content = fetch(server["base"] + "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    html = content.decode()
    assert "网上信访 · 法律渠道引导" in html
    version = re.search(r'src="static/chat\.js\?v=([0-9a-f]{12})"', html).group(1)
    assert version == web.asset_version("chat.js")
    assert re.search(r'href="static/chat\.css\?v=[0-9a-f]{12}"', html)


def test_head_requests_answer_like_get_without_a_body(server: dict) -> None:
    import http.client
    from urllib.parse import urlsplit

    base = urlsplit(server["base"])
    for path in ("/", "/static/chat.js"):
        connection = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
        connection.request("HEAD", base.path + path)
        answer = connection.getresponse()
        assert answer.status == 200, path
        assert answer.read() == b""
        connection.close()


def test_the_address_without_slash_redirects_keeping_the_query(server: dict) -> None:
    status, headers, _ = fetch(server["base"] + "?embed=1", follow=False)
    assert status == 301 and headers["Location"] == "/webhooks/web/?embed=1"


@pytest.mark.parametrize("name, content_type", [
    ("chat.css", "text/css; charset=utf-8"), ("chat.js", "text/javascript; charset=utf-8")])
def test_assets_have_their_types_and_cache_headers(server: dict, name: str,
                                                   content_type: str) -> None:
    status, headers, content = fetch(f"{server['base']}/static/{name}?v=1")
    assert status == 200 and headers["content-type"] == content_type
    assert content == (ASSETS / name).read_bytes()
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=" in headers["Cache-Control"]
    status, _, content = fetch(f"{server['base']}/static/{name}",
                               headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and content == b""


def test_the_font_is_served_as_woff2_when_present(server: dict, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "webchat"
    shutil.copytree(ASSETS, folder)
    (folder / "xinfang-sans.woff2").write_bytes(b"wOF2 test")
    monkeypatch.setattr(web, "ASSETS_DIR", folder)
    status, headers, content = fetch(server["base"] + "/static/xinfang-sans.woff2")
    assert status == 200 and headers["content-type"] == "font/woff2" and content == b"wOF2 test"


@pytest.mark.parametrize("path", ["/static/..%2Fweb.py", "/static/%2e%2e%2fweb.py",
                                  "/static/../web.py", "/static/index.html", "/static/nope.js",
                                  "/static/..%2F..%2Fcredentials.yml", "/static/.%2Fchat.js"])
def test_nothing_outside_the_assets_is_served(server: dict, path: str) -> None:
    status, headers, content = fetch(server["base"] + path)
    assert status == 404
    if headers.get("content-type", "").startswith("application/json"):
        assert json.loads(content)["error"]
    assert b"def " not in content and b"import" not in content


def test_a_message_gets_the_bots_bubbles(server: dict) -> None:
    status, replies = post(server, {"sender": SENDER, "message": " 我的工资没发 "})
    assert status == 200
    assert [r["text"] for r in replies] == ["收到：我的工资没发", "第二段", "有帮助吗？"]
    assert replies[2]["buttons"][0] == {"title": "有帮助", "payload": "/feedback_helpful"}
    assert replies[2]["buttons"][1]["article_ref"] == "条例 第31条"
    message = server["received"][-1]
    assert message.sender_id == "web-" + SENDER and message.input_channel == "web"
    assert message.text == "我的工资没发"


@pytest.mark.parametrize("data, status, expected", [
    (b"{broken", 400, "请求格式不对"),
    ("工资".encode("gb18030"), 400, "UTF-8"),
    ({"sender": "bad", "message": "你好"}, 400, "会话编号无效"),
    ({"sender": SENDER, "message": "   "}, 400, "请先输入"),
    ({"sender": SENDER, "message": "长" * (MAX_MESSAGE_CHARS + 1)}, 400, "分成几条"),
    ({"sender": SENDER, "message": {"text": "你好"}}, 400, "一段文字"),
    ({"sender": SENDER, "message": "出错"}, 500, "稍后再试"),
])
def test_bad_messages_and_failures_get_json_errors(server: dict, data, status: int,
                                                   expected: str) -> None:
    got, answer = post(server, data)
    assert got == status and expected in answer["error"]
    assert "Traceback" not in answer["error"] and "RuntimeError" not in answer["error"]


def test_history_restores_the_conversation_with_titles(server: dict) -> None:
    sender = "history-" + uuid.uuid4().hex[:8]
    post(server, {"sender": sender, "message": "第一句"})
    post(server, {"sender": sender, "message": "/feedback_helpful"})
    post(server, {"sender": sender, "message": article_payload("条例 第31条")})
    status, _, content = fetch(f"{server['base']}/history?sender={sender}")
    assert status == 200
    history = json.loads(content)
    assert [(h["role"], h["text"]) for h in history] == [
        ("user", "第一句"), ("bot", "收到：第一句"), ("bot", "第二段"), ("bot", "有帮助吗？"),
        ("user", "有帮助"), ("bot", "收到：/feedback_helpful"), ("bot", "第二段"),
        ("bot", "有帮助吗？"), ("user", "《信访工作条例》第三十一条原文"),
        ("bot", f"收到：{article_payload('条例 第31条')}"), ("bot", "第二段"),
        ("bot", "有帮助吗？")]
    assert all(isinstance(h["timestamp"], float) for h in history)
    assert history[3]["buttons"][0]["title"] == "有帮助"


def test_history_of_an_unknown_or_bad_sender(server: dict) -> None:
    status, _, content = fetch(f"{server['base']}/history?sender=nobody-here-{uuid.uuid4().hex}")
    assert status == 200 and json.loads(content) == []
    status, _, content = fetch(f"{server['base']}/history?sender=%3Cscript%3E")
    assert status == 400 and "会话编号无效" in json.loads(content)["error"]
    status, _, content = fetch(f"{server['base']}/history")
    assert status == 400


def test_history_does_not_see_other_channels(server: dict) -> None:
    async def seed() -> None:
        store = server["agent"].tracker_store
        tracker = await store.get_or_create_tracker("rest-user-1")
        tracker.update(UserUttered("别的渠道"))
        await store.save(tracker)

    asyncio.run(seed())
    status, _, content = fetch(f"{server['base']}/history?sender=rest-user-1")
    assert status == 200 and json.loads(content) == []


def test_article_endpoint(server: dict, kb: KnowledgeBase) -> None:
    ref = urllib.parse.quote("条例 第31条 第2项")
    status, headers, content = fetch(f"{server['base']}/article?ref={ref}")
    found = json.loads(content)
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert f"{found['title']}\n{found['text']}" == article_full_text("条例 第31条 第2项", kb)
    status, _, content = fetch(f"{server['base']}/article?ref={urllib.parse.quote('条例 第99条')}")
    assert status == 404 and "没有找到" in json.loads(content)["error"]
    status, _, content = fetch(f"{server['base']}/article")
    assert status == 400 and "请指明" in json.loads(content)["error"]


def test_config_endpoint(server: dict) -> None:
    status, headers, content = fetch(server["base"] + "/config")
    settings = json.loads(content)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert "天后删除" in settings["privacy"] and settings["max_chars"] == MAX_MESSAGE_CHARS
    assert {"number": "12348", "name": "公共法律服务热线"} in settings["hotlines"]


def test_staff_endpoint_says_whether_the_page_may_adopt_an_id(
        server: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    staff_id = "staff-0123456789"
    staff = tmp_path / "staff.yml"
    staff.write_text(f'staff:\n  - sender: "web-{staff_id}"\n    id: "S1"\n'
                     f'  - sender: "rest-only-id-012345"\n', "utf-8")
    monkeypatch.setenv("BOT_STAFF_CONFIG", str(staff))

    def is_staff(query: str) -> bool:
        status, headers, content = fetch(f"{server['base']}/staff{query}")
        assert status == 200 and headers["Cache-Control"] == "no-store"
        return json.loads(content)["staff"]

    assert is_staff(f"?sender={staff_id}") is True
    for query in (f"?sender={SENDER}", "?sender=rest-only-id-012345", "?sender=<b>x</b>",
                  "?sender=" + "a" * 65, ""):
        assert is_staff(query) is False, query
    monkeypatch.setenv("BOT_STAFF_CONFIG", str(tmp_path / "missing.yml"))
    assert is_staff(f"?sender={staff_id}") is False


def test_a_failing_turn_logs_no_citizen_text_above_debug(
        server: dict, caplog: pytest.LogCaptureFixture) -> None:
    secret = "出错 我的电话13812345678，工资被拖欠三个月"
    with caplog.at_level(logging.DEBUG, logger="bot.channels.web"):
        status, answer = post(server, {"sender": SENDER, "message": secret})
    assert status == 500 and "稍后再试" in answer["error"]
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("web.message.failed" in r.getMessage() and "RuntimeError" in r.getMessage()
               for r in loud)
    for record in loud:
        shown = caplog.handler.format(record)
        assert "13812345678" not in shown and "工资被拖欠" not in shown, shown
    # the traceback is still there for a developer who turns on DEBUG
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)


def test_broken_texts_while_running_give_a_plain_json_error(
        server: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any) -> None:
        raise WebTextsError("knowledge/webchat.yaml: cannot read")

    monkeypatch.setattr(web, "load_texts", broken)
    for path, data in (("/webhook", body({"sender": SENDER, "message": "你好"})),
                       (f"/history?sender={SENDER}", None), ("/article?ref=x", None),
                       ("/config", None)):
        status, headers, content = fetch(server["base"] + path, data,
                                         {"Content-Type": "application/json"})
        assert status == 500 and headers["content-type"].startswith("application/json"), path
        assert json.loads(content) == {"error": web.FALLBACK_ERROR}, path
    status, _, content = fetch(server["base"] + "/static/nothing.css")
    assert status == 404 and json.loads(content) == {"error": web.FALLBACK_ERROR}
