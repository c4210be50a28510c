"""Malformed data in knowledge/ stops the build with a message naming the file and the entry;
importing an official text reproduces what is stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.cli import main
from bot.knowledge import KnowledgeDataError, build_knowledge
from bot.knowledge.importer import VersionInfo, import_law
from bot.knowledge.lawtext import LawTextError, parse_law_text
from bot.knowledge.loader import load_knowledge


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def _channel(data: dict, code: str) -> dict:
    return next(c for c in data["channels"] if c["code"] == code)


CASES = [
    ("channels.yaml", lambda d: _channel(d, "suggestion").pop("family"),
     "渠道 suggestion", "缺少字段 family"),
    ("channels.yaml", lambda d: _channel(d, "suggestion").update(family="调解"),
     "渠道 suggestion", "family 应为"),
    ("channels.yaml", lambda d: _channel(d, "suggestion").update(hotlines=["88886666"]),
     "渠道 suggestion", "热线 88886666"),
    ("channels.yaml", lambda d: _channel(d, "suggestion").update(cite=["条例 第99条"]),
     "条例 第99条", "没有第99条"),
    ("channels.yaml", lambda d: _channel(d, "suggestion").update(cite=["条例 第31条 第9项"]),
     "条例 第31条 第9项", "没有第9项"),
    ("channels.yaml", lambda d: _channel(d, "suggestion").update(cite=["某某法 第1条"]),
     "某某法 第1条", "无法解析"),
    ("channels.yaml", lambda d: _channel(d, "commercial_arbitration")["cite"].append(
        "仲裁法 第16条"), "仲裁法 第16条", "已失效"),
    ("channels.yaml", lambda d: _channel(d, "admin_reconsideration")["time_limits"][0].update(
        unit="week"), "渠道 admin_reconsideration time_limits[1]", "unit 应为"),
    ("channels.yaml", lambda d: _channel(d, "admin_reconsideration")["time_limits"][0].update(
        length=-5), "time_limits[1]", "length 应为正整数"),
    ("channels.yaml", lambda d: d["channels"].append(dict(d["channels"][0])),
     "渠道 admin_reconsideration", "渠道代码重复"),
    ("hotlines.yaml", lambda d: d["hotlines"].append({"number": "12-3", "name": "x"}),
     "hotlines[9]", "号码应为数字"),
    ("laws/xinfang_gongzuo_tiaoli.yaml", lambda d: d["versions"][0].update(
        version_date="2022-13-45"), "版本 2022年版", "不是日期"),
    ("laws/xinfang_gongzuo_tiaoli.yaml", lambda d: d["versions"][0]["articles"].append(
        d["versions"][0]["articles"][0]), "版本 2022年版", "条号重复"),
    ("laws/xinfang_gongzuo_tiaoli.yaml", lambda d: d["versions"][0]["articles"][30].update(
        paragraphs=[]), "第31条", "paragraphs 不能为空"),
    ("laws/zhongcai_fa.yaml", lambda d: d["versions"][0].update(in_force=True),
     "versions", "只能有一个版本"),
    ("laws/xinfang_gongzuo_tiaoli.yaml", lambda d: d.update(id="other"),
     "id", "应与文件名"),
    ("calendar/holidays.yaml", lambda d: d["years"][2026]["workdays"].append(
        d["years"][2026]["holidays"][0]), "years.2026", "既是假日又是工作日"),
]


@pytest.mark.parametrize(("file", "change", "entry", "message"), CASES,
                         ids=[f"{c[0]}:{c[3]}" for c in CASES])
def test_bad_data_names_file_and_entry(knowledge_copy: Path, file: str, change, entry: str,
                                       message: str) -> None:
    _edit(knowledge_copy / file, change)
    with pytest.raises(KnowledgeDataError) as err:
        load_knowledge(knowledge_copy)
    assert file.split("/")[-1] in err.value.file
    assert entry in err.value.entry or entry in str(err.value)
    assert message in str(err.value)


def test_yaml_syntax_error_gives_the_line(knowledge_copy: Path) -> None:
    path = knowledge_copy / "channels.yaml"
    lines = path.read_text("utf-8").splitlines()
    lines[5] = lines[5] + "  : : [unclosed"
    path.write_text("\n".join(lines), "utf-8")
    with pytest.raises(KnowledgeDataError, match=r"channels\.yaml: 第\d+行: YAML 语法错误"):
        load_knowledge(knowledge_copy)


def test_wrong_encoding_and_binary(knowledge_copy: Path) -> None:
    path = knowledge_copy / "hotlines.yaml"
    path.write_bytes(path.read_text("utf-8").encode("gbk"))
    with pytest.raises(KnowledgeDataError, match="不是 UTF-8"):
        load_knowledge(knowledge_copy)
    path.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(KnowledgeDataError, match="hotlines.yaml"):
        load_knowledge(knowledge_copy)


def test_failed_build_leaves_the_database_untouched(knowledge_copy: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    build_knowledge(url)
    _edit(knowledge_copy / "channels.yaml", lambda d: _channel(d, "suggestion").pop("name"))
    with pytest.raises(KnowledgeDataError):
        build_knowledge(url, knowledge_copy)
    from bot.knowledge.api import KnowledgeBase
    from bot.storage import get_engine

    assert KnowledgeBase(get_engine(url)).get_channel("suggestion").name == "建议意见"


def test_cli_build_reports_bad_yaml_with_status_2(knowledge_copy: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    _edit(knowledge_copy / "channels.yaml", lambda d: _channel(d, "suggestion").update(
        cite=["条例 第88条"]))
    code = main(["--db", f"sqlite:///{tmp_path / 'x.db'}", "knowledge", "build",
                 "--knowledge", str(knowledge_copy)])
    err = capsys.readouterr().err
    assert code == 2
    assert "channels.yaml" in err and "条例 第88条" in err and "Traceback" not in err


# ---- importing --------------------------------------------------------------------------------
SHARED = config.shared_laws_dir()


def _stored_texts() -> list[tuple[str, str]]:
    """(law id, source file) of every stored version whose text came from ../shared/laws."""
    found = []
    for path in sorted((config.knowledge_dir() / "laws").glob("*.yaml")):
        for version in yaml.safe_load(path.read_text("utf-8"))["versions"]:
            if version.get("articles") and version.get("source"):
                found.append((path.stem, version["source"]))
    return found


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/laws is not present")
@pytest.mark.parametrize(("law_id", "source"), _stored_texts())
def test_every_stored_text_is_what_the_importer_makes_of_its_source(
        tmp_path: Path, law_id: str, source: str) -> None:
    stored = yaml.safe_load((config.knowledge_dir() / f"laws/{law_id}.yaml").read_text("utf-8"))
    version = next(v for v in stored["versions"] if v.get("source") == source)
    info = VersionInfo(version["label"], version["kind"], version["version_date"],
                       version["effective"], version["in_force"])
    target = import_law(SHARED / source, law_id, info, tmp_path)
    imported = yaml.safe_load(target.read_text("utf-8"))["versions"][0]
    assert imported["articles"] == version["articles"]
    assert imported.get("item_brackets") == version.get("item_brackets")


def _code_text() -> str:
    """A code laid out like 民法典: 编 at #, 分编 at ##, 章 and 节 below, an unnumbered
    ``# 附则``, and articles numbered on past 第一千条."""
    from bot.knowledge.numerals import int_to_cn

    headings = {1: ["# 第一编 总则", "## 第一章  基本规定"],
                3: ["# 第二编 物权", "## 第一分编  通则", "### 第一章  一般规定"],
                5: ["#### 第一节  不动产登记"],
                6: ["## 第三分编 准 合 同", "### 第二章  无因管理"],
                999: ["# 第三编 人格权", "## 第一章  一般规定", "### 第一节  总则"],
                1001: ["# 附则"]}
    lines = ["# 测试法典", "", "2020年5月28日 通过", "", "<!-- INFO END -->", ""]
    for number in range(1, 1003):
        lines += headings.get(number, [])
        lines += [f"第{int_to_cn(number)}条 第{number}条的文字。", ""]
    return "\n".join(lines)


def test_parser_reads_parts_subparts_an_unnumbered_heading_and_thousands() -> None:
    articles = parse_law_text(_code_text()).articles
    assert [a.number for a in articles] == list(range(1, 1003))
    where = {a.number: (a.part, a.subpart, a.chapter, a.section) for a in articles}
    assert where[2] == ("第一编 总则", None, "第一章 基本规定", None)
    assert where[3] == ("第二编 物权", "第一分编 通则", "第一章 一般规定", None)
    assert where[5] == ("第二编 物权", "第一分编 通则", "第一章 一般规定", "第一节 不动产登记")
    # a new 分编 closes the 章 and 节 of the one before; the title's spaces are dropped
    assert where[6] == ("第二编 物权", "第三分编 准合同", "第二章 无因管理", None)
    # a new 编 closes the 分编
    assert where[1000] == ("第三编 人格权", None, "第一章 一般规定", "第一节 总则")
    # # 附则 has no number: at the level of the 编 headings, it opens a part of its own
    assert where[1001] == where[1002] == ("附则", None, None, None)
    assert articles[999].paragraphs[0].text == "第1000条的文字。"


def test_an_unnumbered_heading_at_an_unknown_level_changes_nothing() -> None:
    text = ("# 法\n<!-- INFO END -->\n## 第一章 总则\n第一条 甲。\n#### 说明\n第二条 乙。\n"
            "## 附则\n第三条 丙。\n")
    where = [(a.chapter, a.section) for a in parse_law_text(text).articles]
    assert where == [("第一章 总则", None), ("第一章 总则", None), ("附则", None)]


def test_import_writes_the_subpart_and_the_build_stores_it(tmp_path: Path) -> None:
    src = tmp_path / "code.md"
    src.write_text(_code_text(), "utf-8")
    info = VersionInfo("2020年通过", "通过", dt.date(2020, 5, 28), dt.date(2021, 1, 1), True)
    law = yaml.safe_load(import_law(src, "ceshi_fadian", info, tmp_path).read_text("utf-8"))
    articles = {a["number"]: a for a in law["versions"][0]["articles"]}
    assert articles[3]["part"] == "第二编 物权" and articles[3]["subpart"] == "第一分编 通则"
    assert "subpart" not in articles[1] and articles[1002]["part"] == "附则"


def test_a_database_of_an_older_layout_is_rebuilt(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from bot.knowledge.api import KnowledgeBase
    from bot.storage import get_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # kb_articles as it was before 分编 were recorded
        conn.execute(sa.text("CREATE TABLE kb_articles (id INTEGER PRIMARY KEY, version_id "
                             "INTEGER NOT NULL, number INTEGER NOT NULL, part VARCHAR(200), "
                             "chapter VARCHAR(200), section VARCHAR(200), plain TEXT NOT NULL)"))
    counts = build_knowledge(url)
    columns = {c["name"] for c in sa.inspect(sa.create_engine(url)).get_columns("kb_articles")}
    assert "subpart" in columns and counts["articles"] > 3000
    quote = KnowledgeBase(get_engine(url)).get_article("民法典", 1260)
    assert quote.text.startswith("本法自2021年1月1日起施行")


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/laws is not present")
def test_import_reproduces_the_stored_law(tmp_path: Path) -> None:
    info = VersionInfo("2022年版", "发布", dt.date(2022, 2, 25), dt.date(2022, 5, 1), True)
    target = import_law(SHARED / "xinfang_gongzuo_tiaoli_2022.md", "xinfang_gongzuo_tiaoli",
                        info, tmp_path)
    imported = yaml.safe_load(target.read_text("utf-8"))["versions"][0]["articles"]
    stored = yaml.safe_load((config.knowledge_dir() / "laws/xinfang_gongzuo_tiaoli.yaml")
                            .read_text("utf-8"))["versions"][0]["articles"]
    assert imported == stored


def test_new_version_supersedes_the_old(tmp_path: Path) -> None:
    text = "# 测试法\n\n2020年1月1日 通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n" \
           "第一条 旧文。\n\n第二条 下列情形：\n\n（一）甲；\n\n（二）乙。\n\n第二款文字。\n"
    src = tmp_path / "t.md"
    src.write_text(text, "utf-8")
    old = VersionInfo("2020年通过", "通过", dt.date(2020, 1, 1), dt.date(2020, 3, 1), True,
                      aliases=["测试法"])
    import_law(src, "ceshi_fa", old, tmp_path / "laws")
    src.write_text(text.replace("旧文", "新文"), "utf-8")
    new = VersionInfo("2024年修正", "修正", dt.date(2024, 1, 1), dt.date(2024, 6, 1), True)
    path = import_law(src, "ceshi_fa", new, tmp_path / "laws")
    law = yaml.safe_load(path.read_text("utf-8"))
    assert [(v["label"], v["in_force"]) for v in law["versions"]] == [
        ("2020年通过", False), ("2024年修正", True)]
    second = law["versions"][1]["articles"][1]["paragraphs"]
    assert second == [{"text": "下列情形：", "items": ["甲；", "乙。"]}, {"text": "第二款文字。"}]


@pytest.mark.parametrize(("text", "message"), [
    ("no title\n", "标题"),
    ("# 法\n第一条 x\n", "INFO END"),
    ("# 法\n<!-- INFO END -->\n第二条 x\n", "应为1"),
    ("# 法\n<!-- INFO END -->\n第一条 x\n（二）y\n", "项号"),
    ("# 法\n<!-- INFO END -->\n正文\n", "没有找到任何条文"),
])
def test_malformed_official_text(text: str, message: str) -> None:
    with pytest.raises(LawTextError, match=message):
        parse_law_text(text)
