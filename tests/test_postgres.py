"""The knowledge base on PostgreSQL, the production database: same build, same answers."""

from __future__ import annotations

from bot.knowledge import api, build_knowledge


def test_knowledge_on_postgresql(pg_url: str, kb) -> None:
    counts = build_knowledge(pg_url)
    assert counts["articles"] > 1500 and counts["channels"] == 15
    pg = api.open_knowledge(pg_url, auto_build=False)
    for args in (("条例", 31, None, 4), ("条例", 36, 3, None), ("仲裁法", 4, None, None)):
        law, number, paragraph, item = args
        assert pg.get_article(law, number, paragraph, item) == kb.get_article(law, number,
                                                                              paragraph, item)
    assert [q.citation for q in pg.search_articles("复查 期限")] == [
        q.citation for q in kb.search_articles("复查 期限")]
    assert pg.get_channel("labour_arbitration").data == kb.get_channel("labour_arbitration").data
    assert pg.calendar() == kb.calendar()
    # rebuilding in place works on PostgreSQL too
    assert build_knowledge(pg_url) == counts
