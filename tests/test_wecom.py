"""The WeCom (企业微信) channel: the Official Account machinery with WeCom's encryption,
encrypted URL check, gettoken and message/send (a real Sanic app, fake Rasa and fake API)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.channels import wechat_sim as sim
from bot.channels.wechat import WeChatConfigError, load_texts
from bot.channels.wecom import WeComConfig, WeComInput
from tests.wechat_fakes import FakeRasa, FakeWeChatApi, serve_channel

AES_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
USER = "zhang.san"
CORP = "ww0123456789abcdef"


def make_config(api_url: str = "http://127.0.0.1:9/", **changes: Any) -> WeComConfig:
    values = {"corp_id": CORP, "agent_id": "1000002", "secret": "corp-secret",
              "token": "wecom-token", "encoding_aes_key": AES_KEY, "api_base_url": api_url,
              "reply_timeout": 3.0, **changes}
    return WeComConfig.from_mapping(values, environ={})


def message(text: str, msg_id: int = 1, agent: str = "1000002", **kw: Any) -> str:
    return sim.message_xml(USER, text, to_user=CORP, msg_id=msg_id,
                           fields={"AgentID": agent}, **kw)


async def post(session: aiohttp.ClientSession, url: str, query: dict, body: bytes
               ) -> tuple[int, bytes]:
    async with session.post(url, params=query, data=body) as answer:
        return answer.status, await answer.read()


def test_wecom_url_check_messages_and_signatures(tmp_path: Path, use_kb: str) -> None:
    config = make_config()
    channel = WeComInput(config, db_url=f"sqlite:///{tmp_path / 'wecom.db'}",
                         texts=load_texts())
    rasa = FakeRasa()

    async def main() -> None:
        async with serve_channel(channel, rasa) as url, aiohttp.ClientSession() as session:
            query = sim.wecom_url_check_query(config, "wecom-echo-42")
            async with session.get(url, params=query) as answer:
                assert (answer.status, await answer.text()) == (200, "wecom-echo-42")
            async with session.get(url, params={**query, "msg_signature": "0" * 40}) as answer:
                assert answer.status == 403
            # an encrypted message gets an encrypted passive reply
            status, body = await post(session, url, *sim.build_wecom_post(config,
                                                                         message("单位拖欠工资")))
            assert status == 200 and "收到".encode() not in body
            reply = sim.open_wecom_reply(config, body)
            assert reply["Content"] == "收到：单位拖欠工资" and reply["ToUserName"] == USER
            # the same MsgId again: the same reply, no second turn
            status, body = await post(session, url, *sim.build_wecom_post(config,
                                                                         message("单位拖欠工资")))
            assert sim.open_wecom_reply(config, body)["Content"] == "收到：单位拖欠工资"
            # forged, missing, another corp, another agent, plaintext
            query, body = sim.build_wecom_post(config, message("x", msg_id=2))
            assert (await post(session, url, {**query, "msg_signature": "1" * 40}, body))[0] \
                == 403
            assert (await post(session, url, {k: v for k, v in query.items()
                                              if k != "msg_signature"}, body))[0] == 403
            stranger = make_config(corp_id="wwffffffffffffffff")
            assert (await post(session, url, *sim.build_wecom_post(
                stranger, message("x", msg_id=3))))[0] == 403
            assert (await post(session, url, *sim.build_wecom_post(
                config, message("x", msg_id=4, agent="1000009"))))[0] == 403
            assert (await post(session, url, query, message("x").encode()))[0] == 400
            # other types
            status, body = await post(session, url, *sim.build_wecom_post(
                config, message("", msg_id=5, msg_type="image")))
            assert sim.open_wecom_reply(config, body)["Content"] == \
                channel.texts["wechat_unsupported"]

    asyncio.run(main())
    assert rasa.calls == [(f"wecom-{USER}", "单位拖欠工资", "wecom")]


def test_wecom_refuses_stale_or_future_timestamps(tmp_path: Path, use_kb: str) -> None:
    config = make_config()
    channel = WeComInput(config, db_url=f"sqlite:///{tmp_path / 'wecom.db'}",
                         texts=load_texts())
    rasa = FakeRasa()
    now = int(time.time())

    async def main() -> None:
        async with serve_channel(channel, rasa) as url, aiohttp.ClientSession() as session:
            for number, (stamp, expected) in enumerate(
                    [(now - 301, 403), (now + 301, 403), ("soon", 403), (now - 250, 200)],
                    start=1):
                query, body = sim.build_wecom_post(config, message(f"第{number}条", number),
                                                   timestamp=str(stamp))
                assert (await post(session, url, query, body))[0] == expected, stamp

    asyncio.run(main())
    assert rasa.texts == ["第4条"]


def test_wecom_slow_answer_goes_through_message_send(tmp_path: Path, use_kb: str) -> None:
    rasa = FakeRasa(delay=0.6)
    api = FakeWeChatApi()

    async def main() -> None:
        async with api.serve(), aiohttp.ClientSession() as session:
            config = make_config(api.url, reply_timeout=0.2)
            channel = WeComInput(config, db_url=f"sqlite:///{tmp_path / 'wecom.db'}",
                                 texts=load_texts())
            async with serve_channel(channel, rasa) as url:
                status, body = await post(session, url, *sim.build_wecom_post(
                    config, message("慢问题", msg_id=77)))
                assert (status, body) == (200, b"success")
                await api.wait_sent(1)
        assert api.token_requests == [{"corpid": CORP, "corpsecret": "corp-secret"}]
        assert api.sent == [{"access_token": "TOKEN-1", "body": {
            "touser": USER, "msgtype": "text", "agentid": 1000002,
            "text": {"content": "收到：慢问题"}}}]

    asyncio.run(main())
    assert len(rasa.calls) == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"encoding_aes_key": ""}, "encoding_aes_key is required"),
    ({"encoding_aes_key": "x" * 44}, "exactly 43"),
    ({"agent_id": "abc"}, "agent_id"),
    ({"corp_id": ""}, "corp_id"),
])
def test_wecom_settings_are_checked(changes: dict, message: str) -> None:
    with pytest.raises(WeChatConfigError, match=message):
        make_config(**changes)


def test_wecom_environment_overrides(monkeypatch: pytest.MonkeyPatch, use_kb: str) -> None:
    monkeypatch.setenv("WECOM_TOKEN", "fromEnvToken")
    monkeypatch.setenv("WECOM_AGENT_ID", "1000005")
    channel = WeComInput.from_credentials({"corp_id": CORP, "agent_id": 1, "token": "file",
                                           "encoding_aes_key": AES_KEY, "secret": "s"})
    assert channel.name() == "wecom"
    assert (channel.config.token, channel.config.agent_id) == ("fromEnvToken", 1000005)
    assert channel.config.api_base_url == "https://qyapi.weixin.qq.com/"
