"""End to end: the WeChat channel of a real `rasa run` (ROOT/credentials.yml, development
values) answering signed simulated messages, plaintext and safe mode, with the bot's real
answers; numbered choices mapped back to buttons; retries answered from the record."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest
import yaml

from bot.channels import textchat
from bot.channels import wechat_sim as sim
from bot.knowledge import KnowledgeBase
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

OPENID = "oE2eWeChatUser_0000000000001"
CHOICE_RE = re.compile(r"^回复 (\d+)：(.+)$", re.M)


@pytest.fixture(scope="module")
def wechat(rasa_server: dict) -> dict:
    """The webhook URL and the development settings of credentials.yml; one warm-up turn."""
    config = sim.WeChatConfig.from_mapping(
        yaml.safe_load((ROOT / "credentials.yml").read_text("utf-8"))[sim.SECTION], environ={})
    url = f"{rasa_server['rasa']}/webhooks/wechat/webhook"
    # the first turn of a fresh server can be slow: warm up through REST (not timed)
    request = urllib.request.Request(
        f"{rasa_server['rasa']}/webhooks/rest/webhook",
        data=json.dumps({"sender": "wechat-warmup", "message": "公司拖欠我工资"}).encode(),
        headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=120).read()
    return {"url": url, "config": config, "server": rasa_server}


def send(wechat: dict, text: str, *, aes: bool = False, openid: str = OPENID,
         msg_type: str = "text", msg_id: int | None = None) -> str | None:
    xml = sim.message_xml(openid, text, msg_type=msg_type, msg_id=msg_id)
    query, body = sim.build_post(wechat["config"], xml, aes=aes, openid=openid)
    status, answer, _followups = sim.post(wechat["url"], query, body, timeout=60)
    assert status == 200, answer[:200]
    reply = sim.open_reply(wechat["config"], answer, aes=aes)
    return reply["Content"] if reply else None


def test_url_check_and_forged_post(wechat: dict) -> None:
    query = sim.url_check_query(wechat["config"].token, "e2e-echo")
    url = f"{wechat['url']}?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.read() == b"e2e-echo"
    query, body = sim.build_post(wechat["config"], sim.message_xml(OPENID, "x"))
    status, _answer, _ = sim.post(wechat["url"], {**query, "signature": "0" * 40}, body)
    assert status == 403


def test_wage_arrears_plaintext_with_a_numbered_choice(wechat: dict) -> None:
    openid = OPENID + "a"
    question = send(wechat, "公司拖欠我三个月工资", openid=openid)
    assert question and "还在这家单位上班吗" in question
    choices = dict((title, number) for number, title in CHOICE_RE.findall(question))
    assert {"还在上班", "已经离职"} <= set(choices)
    assert "回复数字" in question
    xml = sim.message_xml(openid, choices["已经离职"])  # the number, not the words
    query, body = sim.build_post(wechat["config"], xml, openid=openid)
    status, raw, followups = sim.post(wechat["url"], query, body, timeout=60)
    assert status == 200
    answer = sim.open_reply(wechat["config"], raw)["Content"]
    assert answer.startswith("建议途径：劳动（人事）争议仲裁")
    assert "劳动仲裁" in answer
    assert textchat.utf8_len(answer) <= textchat.CHUNK_BYTES
    # the rest of the long answer arrives through the (fake) customer-service API, in order
    assert followups >= 1
    rest = wechat["server"]["wechat_api"].collect(followups, timeout=30)
    assert len(rest) == followups
    assert all(textchat.utf8_len(part) <= textchat.CHUNK_BYTES for part in rest)
    whole = "\n".join([answer, *rest])
    assert "依据：" in whole and "《中华人民共和国劳动争议调解仲裁法》" in whole
    assert "12348" in whole and re.search(r"^回复 \d+：有帮助$", whole, re.M)


def test_article_question_in_safe_mode(wechat: dict, kb: KnowledgeBase) -> None:
    reply = send(wechat, "第三十一条是什么", aes=True, openid=OPENID + "b")
    expected = textchat.split_text(kb.get_article("信访工作条例", 31).render())[0]
    assert reply == expected


def test_subscribe_gets_the_bots_greeting_and_retries_one_turn(wechat: dict) -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))
    greeting = domain["responses"]["utter_greet"][0]["text"]
    openid = OPENID + "c"
    assert send(wechat, "", msg_type="subscribe", openid=openid) == greeting
    first = send(wechat, "第二十八条", openid=openid, msg_id=9100000000000000001)
    assert first and "第二十八条" in first
    for aes in (False, True):  # WeChat's retries of the same MsgId
        assert send(wechat, "第二十八条", openid=openid, msg_id=9100000000000000001,
                    aes=aes) == first
    with urllib.request.urlopen(
            f"{wechat['server']['rasa']}/conversations/wechat-{openid}/tracker",
            timeout=30) as answer:
        tracker = json.loads(answer.read())
    user_texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert user_texts == ["/greet", "第二十八条"]
    assert tracker["latest_input_channel"] == "wechat"


def test_unsupported_and_voice(wechat: dict, use_kb: str) -> None:
    from bot.channels.wechat import load_texts

    texts = load_texts()
    assert send(wechat, "", msg_type="image", openid=OPENID + "d") == texts["wechat_unsupported"]
    assert send(wechat, "", msg_type="voice", openid=OPENID + "d") == \
        texts["wechat_voice_unclear"]
    reply = send(wechat, "第三十一条是什么", msg_type="voice", openid=OPENID + "d")
    assert reply and reply.startswith("《信访工作条例》第三十一条")


def test_no_openid_or_text_in_the_server_log(wechat: dict) -> None:
    send(wechat, "我的手机号13987654321，单位欠薪", openid=OPENID + "e")
    log = (wechat["server"]["work"] / "rasa.log").read_text("utf-8", "replace")
    assert "13987654321" not in log
    assert OPENID not in log
    assert "development token" in log  # the start-up warning
