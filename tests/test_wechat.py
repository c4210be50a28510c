"""The WeChat Official Account channel against a simulated WeChat: URL check, signatures,
plaintext and safe mode, message types, the 5-second rule with the customer-service API and its
shared access_token, retries, splitting, numbered choices, bad input and configuration.

The channel's blueprint runs in a real Sanic app on a free port; Rasa is a fake
``on_new_message``; WeChat's API is a local aiohttp server; each test has its own SQLite file.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.channels import textchat
from bot.channels import wechat_sim as sim
from bot.channels.wechat import (
    DEV_TOKEN,
    FOLLOWUPS_HEADER,
    MAX_BODY_BYTES,
    WeChatConfig,
    WeChatConfigError,
    WeChatInput,
    load_texts,
)
from bot.channels.wechat_store import ChannelStore, DatabaseSessionStorage
from tests.conftest import ROOT
from tests.wechat_fakes import FakeRasa, FakeWeChatApi, serve_channel

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "oTestUser_abcdefghijklmnopqr"
TOKEN = "test-token-1"
APPID = "wx1234567890abcdef"


@pytest.fixture()
def texts(use_kb: str) -> dict[str, str]:
    """The channel's sentences, read from knowledge/conversation.yaml like the server does."""
    return load_texts()


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'wechat.db'}"


def make_config(api_url: str = "http://127.0.0.1:9/", reply_timeout: float = 3.0,
                **changes: Any) -> WeChatConfig:
    values = {"token": TOKEN, "appid": APPID, "secret": "s3cret", "encoding_aes_key": AES_KEY,
              "api_base_url": api_url, "reply_timeout": reply_timeout, **changes}
    return WeChatConfig.from_mapping(values, environ={})


Scenario = Callable[..., Awaitable[None]]


class Client:
    """Sends signed requests to the served channel, as WeChat's servers would."""

    def __init__(self, url: str, config: WeChatConfig, session: aiohttp.ClientSession) -> None:
        self.url, self.config, self.session = url, config, session

    async def raw(self, query: dict[str, str], body: bytes, method: str = "POST"
                  ) -> tuple[int, bytes, dict[str, str]]:
        async with self.session.request(method, self.url, params=query, data=body) as answer:
            return answer.status, await answer.read(), dict(answer.headers)

    async def send(self, xml: str, aes: bool = False) -> tuple[int, dict | None, dict]:
        query, body = sim.build_post(self.config, xml, aes=aes, openid=OPENID)
        status, answer, headers = await self.raw(query, body)
        reply = sim.open_reply(self.config, answer, aes=aes) if status == 200 else None
        return status, reply, headers

    async def say(self, text: str, aes: bool = False, **kw: Any) -> str | None:
        status, reply, _headers = await self.send(sim.message_xml(OPENID, text, **kw), aes=aes)
        assert status == 200
        return reply["Content"] if reply else None


def run(channel: WeChatInput, rasa: FakeRasa, scenario: Scenario,
        api: FakeWeChatApi | None = None) -> None:
    """Serve ``channel`` (and the fake API) and run ``scenario(client, api)``."""

    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            if api is not None:
                async with serve_channel(channel, rasa) as url:
                    await scenario(Client(url, channel.config, session), api)
            else:
                async with serve_channel(channel, rasa) as url:
                    await scenario(Client(url, channel.config, session), None)

    asyncio.run(main())


def channel_with_api(db_url: str, texts: dict, api: FakeWeChatApi, **config: Any
                     ) -> WeChatInput:
    return WeChatInput(make_config(api.url, **config), db_url=db_url, texts=texts)


def run_with_api(db_url: str, texts: dict, rasa: FakeRasa, scenario: Scenario,
                 api: FakeWeChatApi, **config: Any) -> None:
    """Start the fake API first (its URL goes into the channel's config), then the channel."""

    async def main() -> None:
        async with api.serve(), aiohttp.ClientSession() as session:
            channel = channel_with_api(db_url, texts, api, **config)
            async with serve_channel(channel, rasa) as url:
                await scenario(Client(url, channel.config, session), api, channel)

    asyncio.run(main())


# ---- URL check and signatures ---------------------------------------------------------------
def test_url_check_answers_echostr_only_when_signed(db_url: str, texts: dict) -> None:
    async def scenario(client: Client, _api: Any) -> None:
        query = sim.url_check_query(TOKEN, "echo-12345")
        status, body, _ = await client.raw(query, b"", "GET")
        assert (status, body) == (200, b"echo-12345")
        forged = {**query, "signature": "0" * 40}
        assert (await client.raw(forged, b"", "GET"))[0] == 403
        wrong_token = sim.url_check_query("another-token", "echo-12345")
        assert (await client.raw(wrong_token, b"", "GET"))[0] == 403
        assert (await client.raw({"echostr": "x"}, b"", "GET"))[0] == 403
        assert (await client.raw({}, b"", "GET"))[0] == 403

    run(WeChatInput(make_config(), db_url=db_url, texts=texts), FakeRasa(), scenario)


def test_forged_or_missing_signature_is_refused_and_logged_without_personal_data(
        db_url: str, texts: dict, caplog: pytest.LogCaptureFixture) -> None:
    rasa = FakeRasa()
    secret_text = "我的身份证号11010519491231002X"

    async def scenario(client: Client, _api: Any) -> None:
        xml = sim.message_xml(OPENID, secret_text)
        query, body = sim.build_post(client.config, xml, openid=OPENID)
        for bad in ({**query, "signature": "f" * 40}, {k: v for k, v in query.items()
                                                       if k != "signature"},
                    {**query, "timestamp": "1"}, {}):
            status, answer, _ = await client.raw(bad, body)
            assert status == 403 and b"success" not in answer
        # a message signed with another token is forged too
        other = WeChatConfig.from_mapping({"token": "not-our-token", "appid": APPID}, {})
        query, body = sim.build_post(other, xml, openid=OPENID)
        assert (await client.raw(query, body))[0] == 403

    with caplog.at_level(logging.INFO):
        run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)
    assert rasa.calls == []
    refusals = [r for r in caplog.records if "refused with 403" in r.getMessage()]
    assert len(refusals) == 5
    assert all(OPENID not in r.getMessage() and "身份证" not in r.getMessage()
               for r in caplog.records)


def test_replayed_or_future_timestamps_are_refused(db_url: str, texts: dict,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A signed URL is only good for ``max_age`` seconds either way (no replay forever)."""
    rasa = FakeRasa()
    now = int(time.time())

    async def scenario(client: Client, _api: Any) -> None:
        for number, (stamp, aes, expected) in enumerate([
                (now - 301, False, 403), (now + 301, False, 403), (now - 3600, True, 403),
                ("abc", False, 403), ("", False, 403),
                (now - 250, False, 200), (now + 250, True, 200)], start=1):
            xml = sim.message_xml(OPENID, f"第{number}条", msg_id=7000 + number)
            query, body = sim.build_post(client.config, xml, aes=aes, openid=OPENID,
                                         timestamp=str(stamp))
            if stamp == "":  # correctly signed, but without a timestamp
                query = {"signature": sim.sign(TOKEN, "", query["nonce"]),
                         "nonce": query["nonce"]}
            assert (await client.raw(query, body))[0] == expected, (stamp, aes)

    with caplog.at_level(logging.INFO):
        run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)
    assert rasa.texts == ["第6条", "第7条"]
    stale = [r for r in caplog.records if "timestamp" in r.getMessage()]
    assert len(stale) == 5 and all(OPENID not in r.getMessage() for r in caplog.records)


def test_max_age_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_config().max_age == 300
    assert make_config(max_age=60).max_age == 60
    env = {"WECHAT_MAX_AGE": "120"}
    assert WeChatConfig.from_mapping({"token": TOKEN, "appid": APPID}, env).max_age == 120
    for bad in ("soon", 0, -5, 10**6):
        with pytest.raises(WeChatConfigError, match="max_age"):
            make_config(max_age=bad)


# ---- plaintext and safe mode ---------------------------------------------------------------
def test_plaintext_text_message_gets_a_passive_reply(db_url: str, texts: dict) -> None:
    rasa = FakeRasa()

    async def scenario(client: Client, _api: Any) -> None:
        status, reply, _ = await client.send(sim.message_xml(OPENID, "单位拖欠工资"))
        assert status == 200
        assert reply["Content"] == "收到：单位拖欠工资"
        assert reply["MsgType"] == "text"
        assert reply["ToUserName"] == OPENID and reply["FromUserName"] == sim.OFFICIAL_ACCOUNT

    run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)
    assert rasa.calls == [(f"wechat-{OPENID}", "单位拖欠工资", "wechat")]


def test_safe_mode_decrypts_checks_and_encrypts(db_url: str, texts: dict) -> None:
    rasa = FakeRasa()

    async def scenario(client: Client, _api: Any) -> None:
        status, answer, _ = await client.raw(*sim.build_post(
            client.config, sim.message_xml(OPENID, "第三十一条是什么"), aes=True, openid=OPENID))
        assert status == 200
        assert b"<Encrypt>" in answer and "第三十一条".encode() not in answer
        reply = sim.open_reply(client.config, answer, aes=True)  # checks MsgSignature too
        assert reply["Content"] == "收到：第三十一条是什么" and reply["ToUserName"] == OPENID
        # forged msg_signature (the plain signature is right)
        query, body = sim.build_post(client.config, sim.message_xml(OPENID, "x"), aes=True)
        assert (await client.raw({**query, "msg_signature": "0" * 40}, body))[0] == 403
        assert (await client.raw({k: v for k, v in query.items() if k != "msg_signature"},
                                 body))[0] == 403
        # encrypted for another AppID: decrypts, but the AppID inside is not ours
        stranger = make_config(appid="wxffffffffffffffff")
        query, body = sim.build_post(stranger, sim.message_xml(OPENID, "x"), aes=True)
        assert (await client.raw(query, body))[0] == 403
        # garbage instead of ciphertext, correctly signed
        garbage = "bm90IGEgY2lwaGVydGV4dA=="
        query = {**query, "msg_signature": sim.sign(TOKEN, query["timestamp"], query["nonce"],
                                                    garbage)}
        body = f"<xml><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>".encode()
        assert (await client.raw(query, body))[0] == 400

    run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)
    assert rasa.texts == ["第三十一条是什么"]


def test_safe_mode_without_a_key_is_refused(db_url: str, texts: dict) -> None:
    async def scenario(client: Client, _api: Any) -> None:
        keyed = make_config()
        status, _answer, _ = await client.raw(*sim.build_post(
            keyed, sim.message_xml(OPENID, "x"), aes=True))
        assert status == 403
        assert await client.say("明文可以") == "收到：明文可以"

    run(WeChatInput(make_config(encoding_aes_key=""), db_url=db_url, texts=texts), FakeRasa(),
        scenario)


# ---- message types ---------------------------------------------------------------------------
def test_voice_subscribe_image_and_other_types(db_url: str, texts: dict) -> None:
    greeting = "您好！我是信访法律渠道引导机器人。"
    rasa = FakeRasa(answer=lambda text: [{"text": greeting if text == "/greet" else
                                          f"收到：{text}"}])

    async def scenario(client: Client, _api: Any) -> None:
        assert await client.say("公司不给我发工资", msg_type="voice") == "收到：公司不给我发工资"
        assert await client.say("", msg_type="voice") == texts["wechat_voice_unclear"]
        assert await client.say("  ", msg_type="voice") == texts["wechat_voice_unclear"]
        assert await client.say("", msg_type="subscribe") == greeting
        for kind in ("image", "location", "link", "video", "shortvideo", "miniprogrampage"):
            assert await client.say("", msg_type=kind) == texts["wechat_unsupported"], kind
        for event in ("unsubscribe", "CLICK", "VIEW", "LOCATION", "TEMPLATESENDJOBFINISH"):
            assert await client.say("", msg_type=event) is None, event

    run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)
    assert rasa.texts == ["公司不给我发工资", "/greet"]
    assert "文字" in texts["wechat_unsupported"] and "语音" in texts["wechat_unsupported"]


def test_scan_to_subscribe_is_greeted_too(db_url: str, texts: dict) -> None:
    rasa = FakeRasa()

    async def scenario(client: Client, _api: Any) -> None:
        xml = sim.message_xml(OPENID, msg_type="subscribe", fields={"EventKey": "qrscene_7"})
        status, reply, _ = await client.send(xml)
        assert status == 200 and reply["Content"] == "收到：/greet"

    run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)
    assert rasa.texts == ["/greet"]


# ---- retries -------------------------------------------------------------------------------
def test_retries_of_a_message_never_start_a_second_turn(db_url: str, texts: dict) -> None:
    rasa = FakeRasa()

    async def scenario(client: Client, _api: Any) -> None:
        xml = sim.message_xml(OPENID, "单位拖欠工资", msg_id=6000000000000000001)
        answers = [await client.send(xml, aes=aes) for aes in (False, True, False)]
        assert [status for status, _, _ in answers] == [200, 200, 200]
        assert [reply["Content"] for _, reply, _ in answers] == ["收到：单位拖欠工资"] * 3
        # events have no MsgId: sender + CreateTime identify them
        event = sim.message_xml(OPENID, msg_type="subscribe", create_time=1700000000)
        assert (await client.send(event))[1]["Content"] == "收到：/greet"
        assert (await client.send(event))[1]["Content"] == "收到：/greet"
        other_time = sim.message_xml(OPENID, msg_type="subscribe", create_time=1700000001)
        await client.send(other_time)

    run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)
    assert rasa.texts == ["单位拖欠工资", "/greet", "/greet"]


def test_a_message_whose_handling_failed_is_answered_on_the_retry(
        db_url: str, texts: dict) -> None:
    """A failure after the claim releases it: WeChat's retry runs the turn, not ``success``."""
    rasa = FakeRasa()
    channel = WeChatInput(make_config(), db_url=db_url, texts=texts)
    real_turn_text, failures = channel.turn_text, []

    def failing_once(message: Any) -> tuple[str, str]:
        if not failures:
            failures.append(1)
            raise RuntimeError("database hiccup")
        return real_turn_text(message)

    channel.turn_text = failing_once  # type: ignore[method-assign]

    async def scenario(client: Client, _api: Any) -> None:
        xml = sim.message_xml(OPENID, "单位拖欠工资", msg_id=6100000000000000001)
        assert (await client.send(xml))[0] == 500
        status, reply, _ = await client.send(xml)
        assert status == 200 and reply["Content"] == "收到：单位拖欠工资"

    run(channel, rasa, scenario)
    assert rasa.texts == ["单位拖欠工资"]


def test_text_is_cleaned_and_empty_or_too_long_text_gets_a_fixed_answer(
        db_url: str, texts: dict) -> None:
    rasa = FakeRasa()

    async def scenario(client: Client, _api: Any) -> None:
        # (XML cannot carry most control characters; DEL and format characters it can)
        assert await client.say("  单位\x7f拖欠\r\n工资\t ", msg_id=1) == "收到：单位拖欠\n工资"
        assert await client.say("   ", msg_id=2) == texts["wechat_empty"]
        assert await client.say("\u200b\u200e", msg_id=3) == texts["wechat_empty"]
        too_long = await client.say("拖" * (textchat.MAX_MESSAGE_CHARS + 1), msg_id=4)
        assert too_long == texts["wechat_too_long"] and "2000" in too_long
        assert "{" not in too_long
        assert await client.say("拖" * textchat.MAX_MESSAGE_CHARS, msg_id=5) is not None
        assert await client.say("\u200b", msg_type="voice", msg_id=6) == \
            texts["wechat_voice_unclear"]

    run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)
    assert rasa.texts == ["单位拖欠\n工资", "拖" * textchat.MAX_MESSAGE_CHARS]


def test_a_retry_while_the_answer_is_pending_gets_success(db_url: str, texts: dict) -> None:
    rasa = FakeRasa(delay=0.6)

    async def scenario(client: Client, _api: Any) -> None:
        xml = sim.message_xml(OPENID, "慢一点的问题", msg_id=42)
        first = asyncio.ensure_future(client.send(xml))
        await asyncio.sleep(0.2)
        status, reply, _ = await client.send(xml)  # WeChat's retry, while Rasa is busy
        assert (status, reply) == (200, None)
        status, reply, _ = await first
        assert status == 200 and reply["Content"] == "收到：慢一点的问题"
        # after the passive answer, a late retry gets the same reply again
        assert (await client.send(xml))[1]["Content"] == "收到：慢一点的问题"

    run(WeChatInput(make_config(reply_timeout=3.0), db_url=db_url, texts=texts), rasa,
        scenario)
    assert len(rasa.calls) == 1


# ---- the 5-second rule and the customer-service API ----------------------------------------
def test_slow_answer_goes_through_the_customer_service_api_with_a_shared_token(
        db_url: str, texts: dict) -> None:
    rasa = FakeRasa(delay=0.8)

    async def scenario(client: Client, api: FakeWeChatApi, channel: WeChatInput) -> None:
        xml = sim.message_xml(OPENID, "单位拖欠工资", msg_id=7)
        status, reply, _ = await client.send(xml)
        assert (status, reply) == (200, None)  # "success" at once
        status, reply, _ = await client.send(xml)  # a retry while pending: success again
        assert (status, reply) == (200, None)
        await api.wait_sent(1)
        assert api.sent == [{"access_token": "TOKEN-1", "body": {
            "touser": OPENID, "msgtype": "text", "text": {"content": "收到：单位拖欠工资"}}}]
        assert api.tokens_issued == 1
        assert api.token_requests == [{"grant_type": "client_credential", "appid": APPID,
                                       "secret": "s3cret"}]
        await channel.wait_idle()
        assert (await client.send(xml))[1] is None  # answered through the API: success
        # a second worker: another channel instance on the same database reuses the token
        second = channel_with_api(db_url, texts, api, reply_timeout=0.3)
        async with serve_channel(second, rasa) as url:
            other = Client(url, second.config, client.session)
            assert (await other.send(sim.message_xml(OPENID, "第二个问题")))[1] is None
            await api.wait_sent(2)
        assert api.sent[1]["access_token"] == "TOKEN-1"
        assert api.sent[1]["body"]["text"]["content"] == "收到：第二个问题"
        assert api.tokens_issued == 1

    run_with_api(db_url, texts, rasa, scenario, FakeWeChatApi(), reply_timeout=0.3)
    assert rasa.texts == ["单位拖欠工资", "第二个问题"]


def test_a_rejected_token_is_refreshed_once_and_the_send_retried(
        db_url: str, texts: dict, caplog: pytest.LogCaptureFixture) -> None:
    rasa = FakeRasa(delay=0.5)
    api = FakeWeChatApi(token_errors=1)

    async def scenario(client: Client, api: FakeWeChatApi, channel: WeChatInput) -> None:
        assert (await client.send(sim.message_xml(OPENID, "问题一")))[1] is None
        await api.wait_sent(1)
        assert api.tokens_issued == 2 and api.sent[0]["access_token"] == "TOKEN-2"
        # a token that keeps failing: one refresh, one retry, then give up (logged)
        api.token_errors, api.refused = 2, 0
        assert (await client.send(sim.message_xml(OPENID, "问题二")))[1] is None
        await channel.wait_idle()
        await asyncio.sleep(0.5)
        await channel.wait_idle()
        assert len(api.sent) == 1 and api.tokens_issued == 3

    with caplog.at_level(logging.INFO):
        run_with_api(db_url, texts, rasa, scenario, api, reply_timeout=0.2)
    assert any("errcode 40001" in r.getMessage() for r in caplog.records)


def test_token_storage_refreshes_before_expiry_and_is_shared(db_url: str,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    import time as time_module

    first, second = DatabaseSessionStorage(db_url), DatabaseSessionStorage(db_url)
    first.set("wx_access_token", "T1", 7200)
    assert second.get("wx_access_token") == "T1"
    assert second["wx_access_token"] == "T1"
    now = time_module.time()
    monkeypatch.setattr(time_module, "time", lambda: now + 7200 - 301 + 2)
    assert second.get("wx_access_token") is None  # within 5 minutes of expiry: refresh
    first.set("wx_access_token", "T2", 60)  # a short lifetime: used for its first half
    monkeypatch.setattr(time_module, "time", lambda: now + 7200 - 301 + 20)
    assert second.get("wx_access_token") == "T2"
    second.delete("wx_access_token")
    assert first.get("wx_access_token", "none") == "none"


def test_failing_turn_gets_a_polite_text(db_url: str, texts: dict,
                                         caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(client: Client, _api: Any) -> None:
        assert await client.say("你好") == texts["wechat_error"]

    with caplog.at_level(logging.INFO):
        run(WeChatInput(make_config(), db_url=db_url, texts=texts), FakeRasa(fail=True),
            scenario)
    assert any("Rasa turn failed (RuntimeError)" in r.getMessage() for r in caplog.records)
    assert "12345" in texts["wechat_error"]


# ---- splitting -------------------------------------------------------------------------------
LONG_PARAGRAPHS = [f"第{i}段。" + "劳动争议可以先申请劳动仲裁，对裁决不服再向法院起诉。" * 12
                   for i in range(1, 8)]


def test_a_long_answer_is_split_first_part_passive_rest_through_the_api(
        db_url: str, texts: dict) -> None:
    rasa = FakeRasa(answer=lambda text: [{"text": p} for p in LONG_PARAGRAPHS])

    async def scenario(client: Client, api: FakeWeChatApi, channel: WeChatInput) -> None:
        status, reply, headers = await client.send(sim.message_xml(OPENID, "长回答"))
        assert status == 200
        rest = int(headers[FOLLOWUPS_HEADER])
        assert rest >= 2
        await api.wait_sent(rest)
        chunks = [reply["Content"]] + [m["body"]["text"]["content"] for m in api.sent]
        assert all(textchat.utf8_len(c) <= textchat.CHUNK_BYTES < 2048 for c in chunks)
        assert "\n\n".join(chunks).split("\n\n") == LONG_PARAGRAPHS  # whole paragraphs, in order
        assert all(m["body"]["touser"] == OPENID for m in api.sent)
        assert api.tokens_issued == 1

    run_with_api(db_url, texts, rasa, scenario, FakeWeChatApi())


def test_split_text_sizes() -> None:
    assert textchat.split_text("一段。\n\n二段。") == ["一段。\n\n二段。"]
    paragraphs = ["甲" * 290, "乙" * 290, "丙" * 290]  # 870 bytes each
    assert textchat.split_text("\n\n".join(paragraphs), 1800) == [
        "甲" * 290 + "\n\n" + "乙" * 290, "丙" * 290]
    # one paragraph over the limit: cut at sentence ends
    sentences = ["这是一个完整的句子，说明一个要点。" * 10 + "！" for _ in range(5)]
    chunks = textchat.split_text("".join(sentences), 1000)
    assert all(textchat.utf8_len(c) <= 1000 for c in chunks)
    assert "".join(chunks) == "".join(sentences)
    assert all(c.endswith(("。", "！")) for c in chunks) and len(chunks) >= 3
    # one sentence over the limit: cut hard, never inside a character (emoji are 4 bytes)
    text = "长" * 700 + "😀" * 300
    chunks = textchat.split_text(text, 1800)
    assert "".join(chunks) == text
    assert all(textchat.utf8_len(c) <= 1800 for c in chunks)
    assert textchat.utf8_len(chunks[0]) >= 1796
    assert textchat.split_text("   \n\n  ") == []


# ---- numbered choices ------------------------------------------------------------------------
ARTICLE_PAYLOAD = '/ask_article{"article_ref": "条例 第31条"}'


def buttons_answer(text: str) -> list[dict]:
    if text == "问工资":
        return [
            {"text": "建议途径：劳动仲裁"},
            {"text": "依据：《信访工作条例》第三十一条", "buttons": [
                {"title": "《信访工作条例》第三十一条原文", "payload": ARTICLE_PAYLOAD}]},
            {"text": "这些信息对您有帮助吗？", "buttons": [
                {"title": "有帮助", "payload": "/feedback_helpful"},
                {"title": "没帮助", "payload": "/feedback_unhelpful"}]},
        ]
    if text == "没有按钮":
        return [{"text": "普通回答"}]
    return [{"text": f"收到：{text}"}]


def test_buttons_become_numbered_choices_and_numbers_map_back(db_url: str,
                                                              texts: dict) -> None:
    rasa = FakeRasa(answer=buttons_answer)

    async def scenario(client: Client, _api: Any) -> None:
        reply = await client.say("问工资")
        assert reply == (
            "建议途径：劳动仲裁\n\n"
            "依据：《信访工作条例》第三十一条\n回复 1：《信访工作条例》第三十一条原文\n\n"
            "这些信息对您有帮助吗？\n回复 2：有帮助\n回复 3：没帮助\n"
            + texts["wechat_choice_hint"])
        assert await client.say("1") == f"收到：{ARTICLE_PAYLOAD}"  # 查看原文
        await client.say("问工资")
        assert await client.say("２") == "收到：/feedback_helpful"  # full-width digit
        await client.say("问工资")
        assert await client.say(" 3 ") == "收到：/feedback_unhelpful"
        await client.say("问工资")
        assert await client.say("1.") == f"收到：{ARTICLE_PAYLOAD}"
        await client.say("问工资")
        assert await client.say("9") == "收到：9"  # no such choice: passed on as text
        await client.say("没有按钮")
        assert await client.say("1") == "收到：1"  # the last answer had no buttons

    run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)
    assert rasa.texts[1] == ARTICLE_PAYLOAD and rasa.texts[3] == "/feedback_helpful"


def test_choices_are_kept_per_user_in_the_database(db_url: str) -> None:
    store, other_worker = ChannelStore("wechat", db_url), ChannelStore("wechat", db_url)
    store.save_choices("userA", {1: "/feedback_helpful", 2: "个人或公司"})
    assert other_worker.choice_payload("userA", 2) == "个人或公司"
    assert other_worker.choice_payload("userB", 2) is None
    assert ChannelStore("wecom", db_url).choice_payload("userA", 2) is None
    store.save_choices("userA", {})
    assert store.choice_payload("userA", 1) is None


def test_choice_numbers_and_rendering() -> None:
    for text, number in [("1", 1), ("２", 2), ("1.", 1), (" 1 ", 1), ("3。", 3), ("１２", 12),
                         ("4、", 4), ("①", 1)]:
        assert textchat.choice_number(text) == number, text
    for text in ["", "0", "100", "1 2", "一", "1个", "第1条", None]:
        assert textchat.choice_number(text) is None, text
    turn = textchat.render_turn(
        [{"text": "问题？", "buttons": [{"title": "有", "payload": "有"},
                                       {"title": "没有", "payload": "没有"}]},
         {"text": "结尾"}], choice_line="回复 {number}：{title}", choice_hint="（提示）")
    assert turn.chunks == ("问题？\n回复 1：有\n回复 2：没有\n（提示）\n\n结尾",)
    assert turn.payloads() == {1: "有", 2: "没有"}
    assert textchat.render_turn([], choice_line="{number}{title}", choice_hint="").chunks == ()


# ---- bad input -------------------------------------------------------------------------------
def test_bad_bodies_get_400_without_a_crash(db_url: str, texts: dict,
                                            caplog: pytest.LogCaptureFixture) -> None:
    rasa = FakeRasa()

    async def scenario(client: Client, _api: Any) -> None:
        query, _ = sim.build_post(client.config, "<xml/>")
        entity = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                  b"<xml><MsgType>text</MsgType><Content>&e;</Content></xml>")
        bomb = (b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                b"<xml><Content>&lol2;</Content></xml>")
        bodies = [
            b"", b"not xml at all", b"<xml><MsgType>text", entity, bomb,
            "<xml><MsgType>text</MsgType><Content>工资</Content></xml>".encode("gbk"),
            b"\xff\xfe\x00<\x00x", b"<root><MsgType>text</MsgType></root>",
            f"<xml><FromUserName>{OPENID}</FromUserName><Content>x</Content></xml>".encode(),
            b"<xml><MsgType>text</MsgType><Content>no sender</Content></xml>",
            b"<xml><FromUserName>bad user!</FromUserName><MsgType>text</MsgType></xml>",
            b"<xml>" + b"A" * (MAX_BODY_BYTES + 10) + b"</xml>",
        ]
        for body in bodies:
            status, answer, _ = await client.raw(query, body)
            assert status == 400, body[:60]
            assert b"Traceback" not in answer and b"passwd" not in answer
        # still fine afterwards
        assert await client.say("正常的问题") == "收到：正常的问题"

    with caplog.at_level(logging.WARNING):
        run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)
    assert rasa.texts == ["正常的问题"]
    assert all("工资" not in r.getMessage() and OPENID not in r.getMessage()
               for r in caplog.records)


def test_reply_text_cannot_break_the_xml(db_url: str, texts: dict) -> None:
    rasa = FakeRasa(answer=lambda text: [{"text": "看这里 ]]> <b>&amp;</b>"}])

    async def scenario(client: Client, _api: Any) -> None:
        assert await client.say("x") == "看这里 ]]> <b>&amp;</b>"
        assert await client.say("y", aes=True) == "看这里 ]]> <b>&amp;</b>"

    run(WeChatInput(make_config(), db_url=db_url, texts=texts), rasa, scenario)


def test_nothing_personal_is_logged(db_url: str, texts: dict,
                                    caplog: pytest.LogCaptureFixture) -> None:
    secret = "我叫张三电话13812345678"
    rasa = FakeRasa(delay=0.4)

    async def scenario(client: Client, api: FakeWeChatApi, channel: WeChatInput) -> None:
        await client.say(secret)
        await api.wait_sent(1)
        await client.say(secret, msg_type="voice")
        await channel.wait_idle()

    with caplog.at_level(logging.DEBUG, logger="bot"):
        run_with_api(db_url, texts, rasa, scenario, FakeWeChatApi(), reply_timeout=0.2)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "sent through the API" in logged
    assert OPENID not in logged and "13812345678" not in logged and "张三" not in logged


# ---- configuration ---------------------------------------------------------------------------
def credentials_section() -> dict:
    data = yaml.safe_load((ROOT / "credentials.yml").read_text("utf-8"))
    return data["bot.channels.wechat.WeChatInput"]


def test_credentials_yml_and_environment_overrides(use_kb: str, caplog: pytest.LogCaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for name in WeChatConfig.ENV.values():
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.WARNING):
        channel = WeChatInput.from_credentials(credentials_section())
    assert channel.name() == "wechat" and channel.config.token == DEV_TOKEN
    assert channel.config.api_base_url == "https://api.weixin.qq.com/"
    assert channel.config.reply_timeout == 4.0 and channel.crypto is not None
    assert any(DEV_TOKEN in r.getMessage() for r in caplog.records)
    caplog.clear()
    env = {"WECHAT_TOKEN": "prodToken123", "WECHAT_APPID": "wxabcdefabcdefabcd",
           "WECHAT_SECRET": "real-secret", "WECHAT_ENCODING_AES_KEY": "Z" * 43,
           "WECHAT_API_BASE_URL": "http://127.0.0.1:8099"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with caplog.at_level(logging.WARNING):
        channel = WeChatInput.from_credentials(credentials_section())
    assert (channel.config.token, channel.config.appid, channel.config.secret,
            channel.config.encoding_aes_key, channel.config.api_base_url) == (
        "prodToken123", "wxabcdefabcdefabcd", "real-secret", "Z" * 43, "http://127.0.0.1:8099/")
    assert not any(DEV_TOKEN in r.getMessage() for r in caplog.records)
    assert "real-secret" not in caplog.text


@pytest.mark.parametrize(("changes", "message"), [
    ({"encoding_aes_key": "tooshort"}, "exactly 43 characters"),
    ({"encoding_aes_key": "a" * 42 + "!"}, "exactly 43 characters"),
    ({"token": ""}, "token"),
    ({"token": "has space"}, "token"),
    ({"appid": ""}, "appid"),
    ({"api_base_url": "ftp://x"}, "api_base_url"),
    ({"reply_timeout": 6}, "reply_timeout"),
    ({"reply_timeout": "soon"}, "reply_timeout"),
    ({"reply_timeout": 0}, "reply_timeout"),
])
def test_invalid_settings_are_a_clear_start_up_error(changes: dict, message: str) -> None:
    values = {**credentials_section(), **changes}
    with pytest.raises(WeChatConfigError, match=message):
        WeChatConfig.from_mapping(values, environ={})
    with pytest.raises(WeChatConfigError):
        WeChatConfig.from_mapping(credentials_section(),
                                  environ={"WECHAT_ENCODING_AES_KEY": "short"})


def test_texts_live_in_conversation_yaml_and_pass_its_checks(use_kb: str) -> None:
    from bot.dialogue import load_conversation

    data = yaml.safe_load((ROOT / "knowledge" / "conversation.yaml").read_text("utf-8"))
    texts = load_conversation().texts
    for key in ("wechat_voice_unclear", "wechat_unsupported", "wechat_error", "wechat_choice",
                "wechat_choice_hint"):
        assert data["texts"][key] == texts[key]
    assert "{number}" in texts["wechat_choice"] and "{title}" in texts["wechat_choice"]
    assert "回复数字" in texts["wechat_choice_hint"]
    source = (ROOT / "bot" / "channels" / "wechat.py").read_text("utf-8")
    assert "抱歉" not in source and "回复数字" not in source


# ---- the simulator command -------------------------------------------------------------------
def test_simulator_command_prints_the_reply(db_url: str, texts: dict, tmp_path: Path,
                                            capsys: pytest.CaptureFixture,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name in WeChatConfig.ENV.values():
        monkeypatch.delenv(name, raising=False)
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"bot.channels.wechat.WeChatInput": {
        "token": TOKEN, "appid": APPID, "secret": "s", "encoding_aes_key": AES_KEY}}), "utf-8")
    codes: list[int] = []

    async def scenario(client: Client, _api: Any) -> None:
        loop = asyncio.get_running_loop()
        for args in (["单位拖欠工资"], ["--aes", "第三十一条是什么"], ["--type", "image"]):
            codes.append(await loop.run_in_executor(None, sim.main, [
                *args, "--url", client.url, "--credentials", str(credentials)]))
        codes.append(await loop.run_in_executor(None, sim.main, [
            "x", "--url", client.url.replace("/webhook", "/nothing"),
            "--credentials", str(credentials)]))

    run(WeChatInput(make_config(), db_url=db_url, texts=texts), FakeRasa(), scenario)
    out = capsys.readouterr()
    assert codes == [0, 0, 0, 1]
    assert out.out.splitlines() == ["收到：单位拖欠工资", "收到：第三十一条是什么",
                                    texts["wechat_unsupported"]]
    assert "错误" in out.err
    assert sim.main(["x", "--credentials", str(tmp_path / "missing.yml")]) == 2


def test_simulator_shows_the_customer_service_messages_with_api_port(
        db_url: str, texts: dict, tmp_path: Path, capsys: pytest.CaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.wechat_fakes import free_port

    for name in WeChatConfig.ENV.values():
        monkeypatch.delenv(name, raising=False)
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"bot.channels.wechat.WeChatInput": {
        "token": TOKEN, "appid": APPID}}), "utf-8")
    port = free_port()
    codes: list[int] = []
    long_answer = FakeRasa(answer=lambda text: [{"text": p} for p in LONG_PARAGRAPHS[:3]])

    async def scenario(client: Client, _api: Any) -> None:
        loop = asyncio.get_running_loop()
        codes.append(await loop.run_in_executor(None, sim.main, [
            "长回答", "--url", client.url, "--credentials", str(credentials),
            "--api-port", str(port)]))

    channel = WeChatInput(make_config(f"http://127.0.0.1:{port}/"), db_url=db_url, texts=texts)
    run(channel, long_answer, scenario)
    out = capsys.readouterr().out
    assert codes == [0]
    chunks = textchat.split_text("\n\n".join(LONG_PARAGRAPHS[:3]))
    assert len(chunks) >= 2 and out.count("【客服消息】") == len(chunks) - 1
    assert all(p in out for p in LONG_PARAGRAPHS[:3])


# ---- the database on PostgreSQL -------------------------------------------------------------
def test_store_on_postgresql(pg_url: str) -> None:
    store = ChannelStore("wechat", pg_url)
    key = f"msg:{id(store)}"
    assert store.claim_message(key).new
    again = ChannelStore("wechat", pg_url).claim_message(key)
    assert not again.new and again.status == "pending"
    store.finish_message(key, "passive", "回答")
    assert store.claim_message(key).reply == "回答"
    store.save_choices("u1", {1: "/feedback_helpful"})
    store.save_choices("u1", {1: "有", 2: "没有"})
    assert store.choice_payload("u1", 2) == "没有"
    tokens = DatabaseSessionStorage(pg_url)
    tokens.set("k", "T", 7200)
    tokens.set("k", "T2", 7200)
    assert DatabaseSessionStorage(pg_url).get("k") == "T2"
    assert store.purge(now=10**12) >= 2


def test_old_dedupe_rows_are_purged(db_url: str) -> None:
    store = ChannelStore("wechat", db_url)
    assert store.claim_message("msg:1", now=1000.0).new
    assert not store.claim_message("msg:1", now=1001.0).new
    assert store.purge(now=1000.0 + 3601) == 1
    assert store.claim_message("msg:1", now=1000.0 + 3602).new
    again = store.claim_message("msg:1", now=1000.0 + 3603)
    assert not again.new and again.status == "pending"
    store.finish_message("msg:1", "passive", "回答")
    store.release_message("msg:1")  # only a pending claim is released
    assert store.claim_message("msg:1", now=1000.0 + 3604).reply == "回答"
