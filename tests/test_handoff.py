"""Handoff to a human: local contacts from configuration, messages, summary for the staff."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import handoff
from bot.handoff import (
    LocalConfigError,
    conversation_summary,
    handoff_message,
    load_local_contacts,
)
from bot.triage.result import Deadline, Question, TriageResult

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "config" / "local.yml"

FILLED = """\
petition_bureau:
  name: 测试市信访局
  phone: "0000-0000000"
  address: 测试市测试路1号
  hours: 工作日 9:00-17:00
  website: https://example.invalid/xinfang
  email: xinfang@example.invalid
channels:
  labour_arbitration:
    name: 测试市劳动人事争议仲裁院
    phone: "0000-1111111"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "local.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _phone_like(messages: list[str]) -> list[str]:
    """Every run of 5+ digits (with separators) in the messages."""
    return re.findall(r"\d[\d\- ]{3,}\d", "\n".join(messages))


# --- configuration -------------------------------------------------------------------------


def test_shipped_config_is_all_placeholders_and_gives_12345() -> None:
    contacts = load_local_contacts(SHIPPED)
    assert contacts.source == SHIPPED and not contacts.is_default
    bureau = contacts.petition_bureau
    for name in handoff.CONTACT_FIELDS:
        value = getattr(bureau, name)
        assert value and "示例" in value, name  # every shipped value is marked as an example
    assert "labour_arbitration" in contacts.channels
    messages = handoff_message(contacts, channel="labour_arbitration")
    text = "\n".join(messages)
    assert "请拨打12345政务服务便民热线" in text
    assert "示例" not in text and "请在此填写" not in text
    assert _phone_like(messages) == ["12345"]  # no invented number
    assert all(len(m) <= 120 for m in messages)  # phone-friendly


def test_default_path_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_LOCAL_CONFIG", raising=False)
    assert handoff.local_config_path() == SHIPPED
    path = _write(tmp_path, FILLED)
    monkeypatch.setenv("BOT_LOCAL_CONFIG", str(path))
    assert load_local_contacts().petition_bureau.name == "测试市信访局"


def test_missing_file_points_to_12345_only(tmp_path: Path) -> None:
    contacts = load_local_contacts(tmp_path / "nowhere.yml")
    assert contacts.is_default and contacts.channels == {}
    messages = handoff_message(contacts)
    assert "请拨打12345政务服务便民热线" in messages[0]
    assert _phone_like(messages) == ["12345"]


def test_filled_config_shows_its_phone_and_hours(tmp_path: Path) -> None:
    contacts = load_local_contacts(_write(tmp_path, FILLED))
    messages = handoff_message(contacts)
    text = "\n".join(messages)
    assert "测试市信访局" in messages[0] and "0000-0000000" in messages[0]
    assert "工作日 9:00-17:00" in messages[0]  # when
    assert "测试市测试路1号" in text and "https://example.invalid/xinfang" in text
    assert "xinfang@example.invalid" in text
    assert "0000-1111111" not in text  # the channel body only for its channel
    assert "12345" in messages[-2]  # fallback after the local phone, not instead of it
    with_channel = "\n".join(handoff_message(contacts, channel="labour_arbitration"))
    assert "测试市劳动人事争议仲裁院" in with_channel and "0000-1111111" in with_channel
    other = "\n".join(handoff_message(contacts, channel="admin_reconsideration"))
    assert "仲裁院" not in other


def test_partly_filled_config_never_shows_a_placeholder(tmp_path: Path) -> None:
    text = FILLED.replace('"0000-0000000"', '"示例：请在此填写本地信访局电话"')
    contacts = load_local_contacts(_write(tmp_path, text))
    messages = handoff_message(contacts)
    joined = "\n".join(messages)
    assert "请拨打12345政务服务便民热线" in messages[0]
    assert "示例" not in joined
    assert "测试市测试路1号" in joined  # the real address is still useful


@pytest.mark.parametrize(("text", "field"), [
    ("petition_bureau:\n  name: 信访局\n  phone: 05711234567\n", "petition_bureau.phone"),
    ("petition_bureau:\n  name: 信访局\n  phone: 请打我\n", "petition_bureau.phone"),
    ("petition_bureau:\n  name: 信访局\n  phon: '0571-1234567'\n", "petition_bureau.phon"),
    ("petition_bureau:\n  website: www.example.invalid\n", "petition_bureau.website"),
    ("petition_bureau:\n  email: not-an-address\n", "petition_bureau.email"),
    ("petition_bureau:\n  name: [a, b]\n", "petition_bureau.name"),
    ("petition_bureau: 信访局\n", "petition_bureau"),
    ("channels: {}\n", "petition_bureau"),
    ("petition_bureau: {}\nhotline: '12345'\n", "hotline"),
    ("petition_bureau: {}\nchannels:\n  no_such_channel:\n    name: x\n",
     "channels.no_such_channel"),
    ("petition_bureau: {}\nchannels: [labour_arbitration]\n", "channels"),
    ("petition_bureau:\n  name: '未闭合\n", "第"),
    ("- just\n- a list\n", "文件"),
    ("", "文件"),
])
def test_malformed_config_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValueError) as info:
        load_local_contacts(path)
    assert isinstance(info.value, LocalConfigError)
    assert str(path) in str(info.value)
    assert field in str(info.value)


def test_wrong_encoding_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "local.yml"
    path.write_bytes("petition_bureau:\n  name: 信访局\n".encode("gbk"))
    with pytest.raises(ValueError, match="UTF-8"):
        load_local_contacts(path)


# --- summary -------------------------------------------------------------------------------


def _events() -> list[dict]:
    return [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "user", "text": "公司拖欠我三个月工资，我身份证11010519491231002X，"
                                  "电话138 1234 5678", "parse_data": {"intent": {}}},
        {"event": "bot", "text": "您现在还在这家单位上班吗？"},
        {"event": "user", "text": "/inform{\"employment_ongoing\": false}"},
        {"event": "slot", "name": "employment_ongoing", "value": False},
        {"event": "slot", "name": "requested_slot", "value": "x"},
        {"event": "bot", "text": "好的，我帮您看看。"},
        {"event": "user", "text": "工资卡是6222021234567890123，能不能直接打给我"},
        {"event": "bot", "text": "工资是哪天没发的？"},
        {"event": "bot", "text": "这些信息对您有帮助吗？", "data": {"buttons": [
            {"title": "有帮助", "payload": "/feedback_helpful"}]}},
        {"event": "user", "text": "/feedback_helpful"},
        {"event": "user", "text": "/human_handoff"},
        "not a dict",
        {"event": "user"},
        {"event": "user", "text": None},
    ]


def test_summary_masks_numbers_and_names_the_channel() -> None:
    result = TriageResult(
        channel="labour_arbitration", alternatives=["civil_litigation"], confidence=0.9,
        facts={"party": "employer", "wages_owed": True, "contact": "电话13812345678",
               "acts": ["欠薪", "欠薪"], "act": "欠薪",
               "dates": [{"date": "2024-03-05", "text": "3月5日"}], "event_date": "2024-03-05"},
        deadline=Deadline(limit_id="x", label="申请仲裁", text="1年（自知道权利被侵害之日起）"),
    )
    summary = conversation_summary(_events(), result)
    assert "labour_arbitration" in summary and "劳动（人事）争议仲裁" in summary
    for secret in ("11010519491231002X", "1101051949", "138 1234", "13812345678",
                   "6222021234567890123", "622202123456"):
        assert secret not in summary
    assert "＊＊＊002X" in summary and "＊＊＊5678" in summary and "＊＊＊0123" in summary
    # facts in words, internal markers (wages_owed, contact, dates) left out, no duplicates
    known = next(line for line in summary.splitlines() if line.startswith("已知情况："))
    assert known == "已知情况：对方：用人单位；事由：欠薪；日期：2024-03-05；仍在职：否"
    # an empty list gives way to the single value; the same name is never listed twice
    assert handoff.known_facts_line({"parties": [], "party": "employer", "acts": ["欠薪"],
                                     "act": "罚款"}) == "对方：用人单位；事由：欠薪"
    assert "requested_slot" not in summary and "=" not in summary
    # a payload is shown by its button's title, or the intent's plain name; never JSON
    assert "您现在还在这家单位上班吗？ → （点了一个按钮）" in summary
    assert "工资是哪天没发的？ → （未回答）" in summary
    assert "这些信息对您有帮助吗？ → 有帮助" in summary
    assert "5. （按钮：转人工）" in summary
    assert "{" not in summary and "feedback_helpful" not in summary
    assert "好的，我帮您看看" not in summary  # only questions are listed
    assert "群众的话（共5条）" in summary
    assert "期限：1年" in summary


def test_summary_when_undecided_and_long_conversation() -> None:
    result = TriageResult(channel=None, alternatives=["admin_reconsideration",
                                                       "admin_litigation"],
                          missing=[Question(fact="party", question="对方是政府部门吗？")])
    events = [{"event": "user", "text": f"第{i}条消息" + "很长" * 500} for i in range(30)]
    summary = conversation_summary(events, result)
    assert "尚未确定" in summary and "admin_reconsideration" in summary
    assert "还需了解：对方是政府部门吗？" in summary
    assert "共30条，只列最近8条" in summary
    assert "第29条消息" in summary and "第0条消息" not in summary
    assert len(summary) <= handoff.MAX_SUMMARY_CHARS
    assert "尚未判断" in conversation_summary([], None)


def test_summary_masks_a_number_at_the_truncation_point() -> None:
    text = "很" * (handoff.MAX_MESSAGE_CHARS - 6) + "13812345678" + "长" * 100_000
    summary = conversation_summary([{"event": "user", "text": text}], None)
    assert "1381" not in summary and "13812345678" not in summary
