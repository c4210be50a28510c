"""Emergencies (issue 12): violence happening now, someone held or trapped, someone injured, a
threat to kill oneself or another, a child in danger, domestic violence — recognised in the
ways people write (colloquial, dialect, voice text without punctuation, 繁體, typos, a long
letter with one urgent sentence), answered first with the right national hotline, and the
warning not to use violence given only to a writer who threatens violence himself."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import dialogue as d
from bot.triage.engine import TriageEngine
from bot.triage.lexicon import load_lexicon
from bot.triage.rules import load_rules

TODAY = dt.date(2026, 11, 26)
NO_VIOLENCE = "不要用暴力"  # the heart of the warning, whatever the rest of its wording


@pytest.fixture(scope="module")
def engine(kb) -> TriageEngine:
    return TriageEngine(kb=kb)


@pytest.fixture(autouse=True)
def _kb(use_kb):
    """The dialogue reads the test knowledge base."""


def warning(engine: TriageEngine) -> str:
    return engine.rules.emergency.kinds["violence_threat"]["message"]


def kinds(engine: TriageEngine, text: str) -> list[str]:
    found = engine.emergency_in(text)
    return found.kinds if found else []


# ---- the reported cases ----------------------------------------------------------------------
REPORTED = [
    # text, situation said first, hotlines that must be given
    ("他们现在正在强拆我家房子，七八个人拿着棍子，把我爸打倒在地上了", "violence", {"110", "120"}),
    ("老公…刚才又拿刀说要砍死我，我躲在厕所里", "domestic_violence", {"110"}),
    ("农药我已经买好了", "self_harm", {"12356"}),
    ("讨薪爬塔吊要跳下去", "self_harm", {"12356", "110"}),
]


@pytest.mark.parametrize("text, kind, hotlines", REPORTED)
def test_reported_cases_get_the_hotline_first(engine: TriageEngine, text: str, kind: str,
                                              hotlines: set[str]) -> None:
    result = engine.triage(text, today=TODAY)
    assert result.emergency is not None and result.emergency.kind == kind
    assert hotlines <= set(result.emergency.hotlines)
    assert all(n in result.emergency.message for n in hotlines)
    assert NO_VIOLENCE not in result.emergency.message
    turn = d.triage_turn(text, intent=None, ranking=[], today=TODAY)
    first = turn.messages[0].text
    assert first.startswith(result.emergency.message)  # before any question or route
    assert all(NO_VIOLENCE not in m.text for m in turn.messages)


def test_a_suicide_threat_is_not_routed_as_an_ordinary_petition(engine: TriageEngine) -> None:
    turn = d.triage_turn("农药我已经买好了", intent=None, ranking=[], today=TODAY)
    assert "12356" in turn.messages[0].text
    assert turn.result.channel is None  # nothing says which route; the bot asks what happened
    assert turn.result.missing[0].fact == "what_happened"


def test_the_crane_worker_gets_help_before_the_wage_route(engine: TriageEngine) -> None:
    result = engine.triage("讨薪爬塔吊要跳下去", today=TODAY)
    assert result.emergency.kind == "self_harm"
    messages = d.reply_for_result(result)
    assert "12356" in messages[0].text and "从高处下来" in messages[0].text


def test_domestic_violence_adds_protection_order_womens_federation_and_warning_letter(
        engine: TriageEngine) -> None:
    advice = engine.emergency_in("老公喝醉了就打我，这次用凳子砸我的头")
    assert advice.kind == "domestic_violence"
    for words in ("110", "人身安全保护令", "妇联", "告诫书"):
        assert words in advice.message
    assert NO_VIOLENCE not in advice.message
    (bubble,) = d.emergency_messages(advice)
    assert "反家庭暴力法》第二十三条" in bubble.text and "第十六条" in bubble.text
    assert [b.title for b in bubble.buttons] == ["《中华人民共和国反家庭暴力法》第二十三条原文",
                                                 "《中华人民共和国反家庭暴力法》第十六条原文"]


# ---- recognised in any wording -----------------------------------------------------------------
SELF_HARM = [
    "工资要不回来，我真的不想活了",
    "活着没意思 拆迁款一分没给 找了八回了",
    "我已经写好遗书了，明天去县政府门口喝药",
    "再不给我解决我就从楼上跳下去",
    "俺实在没活路了，干脆一死了之算了",
    "唔想活啦，公司欠我三个月人工",
    "活着还有什么意思呢，老婆跑了工作也没了",
    "我攒了一瓶安眠药，谁也别拦我",
    "我真的不想活了，欠薪半年沒人管",  # 繁體 mixed in
    "這日子沒法過了 我準備燒炭",  # 繁體
    "站在楼顶上了 你们再不来人我就跳",
    "真的撑不住了 想结束自己的生命",
    "拿不到钱我就死给你们看",
    "工资不给我就去跳河",
    "我现在就在桥上 活着没意思 欠我的钱不还",
    "不想活勒 老板跑路了",
    "再拖下去我只能跳搂了",  # 楼 mistyped
    "俺男人被逼得天天说要喝浓药",  # 农 mistyped
    "尊敬的领导：我是某村村民，2019年我家承包地被村里收回，至今没有任何补偿，我多次到镇里反映，"
    "都说研究研究。我今年六十八了，老伴常年卧床，儿子在外打工顾不了家。我实在是走投无路，"
    "农药都买好了。恳请领导为我做主。",  # a long letter, one sentence is the emergency
    "2023年被拆迁至今一分补偿没拿到我不想活了",  # voice text: a date does not make it past
]


@pytest.mark.parametrize("text", SELF_HARM)
def test_self_harm(engine: TriageEngine, text: str) -> None:
    advice = engine.emergency_in(text)
    assert advice is not None and advice.kind == "self_harm", text
    assert advice.hotlines[0] == "12356" and "12356" in advice.message
    assert NO_VIOLENCE not in advice.message


@pytest.mark.parametrize("text", [
    "我们工地有个工友爬上塔吊说要跳下去，老板还是不给钱",
    "我妈天天念叨不想活了，低保又被停了",
    "我爸被逼得说要喝农药",
])
def test_someone_else_at_risk_is_spoken_of_as_someone_else(engine: TriageEngine,
                                                           text: str) -> None:
    advice = engine.emergency_in(text)
    assert advice.kind == "self_harm"
    assert advice.message == engine.rules.emergency.kinds["self_harm"]["message_other"]
    assert "陪着他" in advice.message and "12356" in advice.message


VICTIMS = [
    # someone else's violence against the writer or a third person: help, never the warning
    ("对方扬言要弄死我全家", {"violence"}),
    ("救命 有人在砸我家门", {"violence"}),
    ("债主带了一帮人堵在我家门口，说今天不还钱就打断我的腿", {"violence"}),
    ("他说我要是敢再去告，就找人砍了我", {"violence"}),
    ("他們正在打我爸 快報警", {"violence"}),
    ("喂喂 有人拿刀在我们店里砍人 快来", {"violence"}),
    ("一伙人冲进我家把东西都砸了还在打我妈", {"violence"}),
    ("邻居扬言要烧了我家房子", {"violence"}),
    ("村里有人说要炸了村委会", {"violence"}),
    ("我儿子说要去杀了他们老师 我拦不住", {"violence"}),
    ("老公说离婚就跟我同归于尽", {"violence", "domestic_violence"}),
    ("老公…刚才又拿刀说要砍死我，我躲在厕所里", {"domestic_violence"}),
    ("俺男人喝醉了又在打俺，孩子吓得直哭", {"domestic_violence"}),
    ("老公天天打我，昨天把我肋骨打断了", {"domestic_violence"}),
    ("我要跟他离婚，他打了我好几年了，昨天晚上又打，我胳膊都被他拧脱臼了",
     {"domestic_violence"}),
    ("婆家人把我锁在屋里不让我出门", {"domestic_violence", "held"}),
    ("前男友拿着刀在我楼下，说不复合就杀了我", {"domestic_violence", "violence"}),
    ("我妈给我打电话说我爸拿菜刀要砍她", {"domestic_violence", "violence"}),
    ("被老公打得浑身是伤 他还说要打死我", {"domestic_violence"}),
    ("我老婆被她前夫堵在楼下打", {"domestic_violence", "violence"}),
]


@pytest.mark.parametrize("text, expected", VICTIMS)
def test_a_victim_gets_help_and_never_the_warning(engine: TriageEngine, text: str,
                                                  expected: set[str]) -> None:
    advice = engine.emergency_in(text)
    assert advice is not None, text
    assert advice.kind in expected, (text, advice.kinds)
    assert "violence_threat" not in advice.kinds
    assert "110" in advice.hotlines and "110" in advice.message
    assert warning(engine) not in advice.message and NO_VIOLENCE not in advice.message


INJURED = [
    "我哥被人捅了一刀，流了好多血，救护车还没来",
    "工地上有人从架子上摔下来了，昏过去了",
    "我爸被打昏迷了现在还没醒",
    "我家老人倒在地上没有呼吸了",
    "孩子他爷爷误喝了农药",
]


@pytest.mark.parametrize("text", INJURED)
def test_someone_injured_now_gets_120(engine: TriageEngine, text: str) -> None:
    advice = engine.emergency_in(text)
    assert advice is not None, text
    assert "120" in advice.hotlines and "120" in advice.message


HELD = [
    "我被公司的人关在宿舍里，不让我走",
    "我被困在电梯里了",
    "我女儿被传销组织控制了，在广西",
    "他们把我锁在屋里，手机也收了",
    "我被人困在一个房间里，手机快没电了",
    "弟弟被同学骗去外地，说介绍工作，结果是搞那种拉人头的，关在一个小区里上课，手机都被收了",
    "那个小区1806室有人搞传销，现在受害人一直困在里面，请你们去解救",
]


@pytest.mark.parametrize("text", HELD)
def test_someone_held_or_trapped_gets_110(engine: TriageEngine, text: str) -> None:
    advice = engine.emergency_in(text)
    assert advice is not None and advice.kind == "held", text
    assert advice.hotlines == ["110"] and "110" in advice.message


CHILD = [
    "继母经常打孩子，孩子身上都是伤",
    "孩子被锁在车里了",
    "我孙子掉河里了",
    "有人贩子把我儿子抱走了",
    "我家孩子不见了，在菜市场走丢的",
    "邻居家小孩天天被他后妈打",
    "女儿放学到现在都没回家，电话也打不通",
    "她要带着孩子一起跳河",
]


@pytest.mark.parametrize("text", CHILD)
def test_a_child_in_danger(engine: TriageEngine, text: str) -> None:
    found = kinds(engine, text)
    assert found and found[0] in ("child", "self_harm"), (text, found)
    assert "child" in found or "self_harm" in found
    assert "110" in engine.emergency_in(text).hotlines


@pytest.mark.parametrize("text", ["楼下着火了，烟很大", "家里煤气泄漏了，味道很重"])
def test_other_danger(engine: TriageEngine, text: str) -> None:
    assert kinds(engine, text) == ["danger"]


THREATENERS = [
    "再不给我拆迁款我就跟他们同归于尽",
    "我要砍了他",
    "老板再不给钱，我就去炸了他的厂",
    "我要去炸了镇政府",
    "逼急了我拿刀去找他算账",
    "老子明天就去把村长宰了",
    "我跟他们拼了",
    "刀我都买好了，他不还钱我就捅死他",
    "我恨不得杀了他全家",
    "他再敢来我家闹，我就打死他",
    "我今天就要弄死那个包工头 不给钱我跟他没完",
    "我要殺了他",  # 繁體
    "我要报复社会",
]


@pytest.mark.parametrize("text", THREATENERS)
def test_a_writer_who_threatens_violence_gets_the_warning(engine: TriageEngine,
                                                          text: str) -> None:
    advice = engine.emergency_in(text)
    assert advice is not None and "violence_threat" in advice.kinds, text
    assert NO_VIOLENCE in advice.message and "110" in advice.hotlines


def test_a_victim_who_also_threatens_hears_both(engine: TriageEngine) -> None:
    advice = engine.emergency_in("他正在打我，我也要砍死他")
    assert advice.kinds[0] == "violence" and "violence_threat" in advice.kinds
    assert advice.message.startswith(engine.rules.emergency.kinds["violence"]["message"])
    assert engine.rules.emergency.kinds["violence_threat"]["also"] in advice.message


NOT_EMERGENCIES = [
    "我要起诉他",
    "公司打算辞退我",
    "他打电话骂我",
    "工资打我卡上少了两千",
    "老板天天打我电话催我回去上班",
    "商场跳楼价甩卖的衣服质量太差，要求退货",
    "去年被人打伤了，派出所到现在不立案",
    "昨晚在烧烤摊跟邻桌几个人起了口角，被他们用酒瓶子打了，鼻梁骨断了，现在还在医院",
    "隔壁那家子把俺家承包地种了，俺去理论，他儿子拿铁锹把俺男人头打破了，缝了八针",
    "我老公前年车祸走了，家里困难，想申请低保",
    "我爸去年被车撞骨折，保险公司不赔",
    "他现在腰椎骨折在家躺着，厂里也不管了，人社局不认定工伤",
    "电动车都推进楼道充电，物业说管不了，真着火了整栋楼都跑不了",
    "我被行政拘留了十天，我不服",
    "派出所把我关了一夜，说我扰乱秩序",
    "孩子的户口本丢了怎么补办",
    "带孩子打疫苗被多收了钱",
    "他以前家暴过我，现在离婚了不给抚养费",
    "我不会自杀的，就想讨个说法",
    "我没想过要杀他，就是想要回我的钱",
    "气死我了，物业乱收费",
    "我要实名举报一个传销窝点",
    "我的车被交警扣押了",
    "要是物业再不修电梯，迟早会困住人",
    "上周电梯困人四十分钟，物业不管",
    "他上个月拿刀威胁过我，派出所不管",
    "城管把我三轮车收了还罚款",
    "邻居装修把我家墙打裂了",
    "我要去北京上访",
    "我要告他，让他付出代价",
    "本人系一起故意伤害案件的被害人，伤情为轻伤一级，对检察院不起诉决定不服",
    "有人拿我视频威胁我，说不转两万就发给我通讯录所有人",
    "孩子在学校体育课上跳马摔断了胳膊，学校只肯出一半医药费",
    "上个月家里着火，房子烧得就剩几面墙，想请政府帮帮忙",
    "这是我的救命钱啊，求领导救救我们",
    "楼上邻居每天半夜跳绳，说了好几次都不听",
    "被好几个人围着打了一顿",
    "路口那个大广告牌锈得都歪了，底下就是公交站，砸下来要出人命的",
    "打人的天天在村里晃悠，派出所拖了半年不立案",
    "他叫了两个人把我打了一顿，牙掉了一颗。工资要怎么要？打人的事又怎么办？",
    "10月15日下午，我儿子放学后在学校门口被五六个社会青年围着打，鼻梁骨折，掉了两颗牙",
    "小区经常出现电梯困人事件，存在极大的安全隐患，要求物业年检",
    # a letter written after the event: narrated violence, then 事后 …
    "本人虽与村委有争吵，但从未动手打人。这次村书记先动手打了本人一拳，村主任见状立马上前殴打本人，"
    "本人被打倒在地，血流不止。　　事后，村主任报警诬陷本人妨碍公务。",
]


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_ordinary_complaints_are_not_emergencies(engine: TriageEngine, text: str) -> None:
    assert engine.emergency_in(text) is None, (text, kinds(engine, text))


@pytest.mark.parametrize("text, channel", [
    ("我要起诉他，他欠我五万块钱不还", "civil_litigation"),
    ("公司打算辞退我，不给补偿", "labour_arbitration"),
])
def test_ordinary_routes_are_not_hijacked(engine: TriageEngine, text: str, channel: str) -> None:
    result = engine.triage(text, today=TODAY)
    assert result.emergency is None and result.channel == channel
    assert all("110" not in m.text for m in d.reply_for_result(result)[:1])


# ---- in the conversation ------------------------------------------------------------------------
PENALTY = "城管把我三轮车没收了还罚款"


def test_an_emergency_in_the_middle_of_the_questions(engine: TriageEngine) -> None:
    back = d.load_conversation().text("back_to_question")
    unusable = d.load_conversation().text("unusable_answer")
    step = d.form_step("decision_date", "他们正在打我爸 快来人", complaint=PENALTY, today=TODAY)
    assert "110" in step.messages[0].text and step.next_fact == "decision_date"
    assert step.messages[-1].text == back
    assert unusable not in [m.text for m in step.messages]
    assert all(NO_VIOLENCE not in m.text for m in step.messages)


@pytest.mark.parametrize("text", ["算了 不想活了", "不对，他现在正在打我"])
def test_an_emergency_is_answered_before_a_stop_or_a_correction(text: str) -> None:
    step = d.form_step("party", text, complaint="和供货商签了合同，对方一直不给货款",
                       today=TODAY)
    first = step.messages[0].text
    assert "12356" in first or "110" in first


def test_an_emergency_given_as_the_answer_is_answered_and_kept(engine: TriageEngine) -> None:
    step = d.form_step("what_happened", "老公拿刀要砍死我，我想离婚", complaint="我要求助",
                       today=TODAY)
    assert "110" in step.messages[0].text and "人身安全保护令" in step.messages[0].text
    assert "老公拿刀要砍死我" in step.slots.get("complaint", "")


def test_a_threat_in_the_middle_of_the_questions_gets_the_warning(engine: TriageEngine) -> None:
    step = d.form_step("decision_date", "再不给我退钱我就去砍了他们", complaint=PENALTY,
                       today=TODAY)
    assert NO_VIOLENCE in step.messages[0].text


def test_the_advice_comes_first_then_the_route(engine: TriageEngine) -> None:
    turn = d.triage_turn("老公刚才又打我了，我要离婚", intent=None, ranking=[], today=TODAY)
    assert turn.status == d.STATUS_ANSWERED
    assert "人身安全保护令" in turn.messages[0].text and "110" in turn.messages[0].text
    assert turn.messages[1].text.startswith("建议途径：民事诉讼")
    turn = d.triage_turn("我不想活了，单位欠我工资两年了不给", intent="ask_followup",
                         ranking=[], today=TODAY)  # whatever the intent
    assert "12356" in turn.messages[0].text and turn.result.channel == "labour_arbitration"


def test_handoff_summary_names_the_situation(engine: TriageEngine) -> None:
    from bot.handoff import conversation_summary

    result = engine.triage("老公刚才又打我了", today=TODAY)
    assert result.emergency.kind == "domestic_violence"
    assert "家庭暴力" in conversation_summary([], result)


# ---- the data ---------------------------------------------------------------------------------
def test_every_emergency_concept_is_read_and_points_to_a_situation(engine: TriageEngine) -> None:
    rules = engine.rules.emergency
    for concept in engine.lexicon.concepts.values():
        if concept.group == "emergency":
            assert concept.id in rules.signals, concept.id
            assert concept.sets.get("emergency") in rules.kinds, concept.id
            assert not concept.weights, concept.id  # an emergency says nothing about the route
    hotlines = set(engine.kb.hotlines())
    assert {"110", "120", "12356"} <= hotlines
    for kind, spec in rules.kinds.items():
        assert set(spec["hotlines"]) <= hotlines, kind
        assert spec["hotlines"][0] in spec["message"], kind


def test_only_the_threat_kind_carries_the_warning(engine: TriageEngine) -> None:
    for kind, spec in engine.rules.emergency.kinds.items():
        for key in ("message", "message_other", "also"):
            if kind != "violence_threat":
                assert NO_VIOLENCE not in str(spec.get(key) or ""), (kind, key)


def test_an_emergency_number_not_in_hotlines_is_refused(tmp_path, kb) -> None:
    import yaml

    from bot import config
    from bot.knowledge import KnowledgeDataError

    data = yaml.safe_load((config.knowledge_dir() / "triage" / "rules.yaml").read_text("utf-8"))
    data["emergency"]["kinds"]["danger"]["message"] += "着火请拨打119。"
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(KnowledgeDataError, match="119"):
        load_rules(path, concepts=load_lexicon().concepts, hotlines=kb.hotlines())
