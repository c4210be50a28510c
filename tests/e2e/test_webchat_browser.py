"""The web chat page in a real browser (Debian's chromium, driven by selenium) against the real
Rasa server: a complaint, a quick reply, an article card, a reload, markup, failures, a phone.

The browser must start: the tests fail when it cannot, unless BOT_SKIP_BROWSER=1 (then they
are skipped, for developers without chromium). Screenshots are saved in pytest's tmp_path.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.followups import article_full_text
from bot.knowledge import KnowledgeBase

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
COMPLAINT = "单位拖欠我三个月工资，我已经离职了，怎么办"
WAIT_SECONDS = 60
XSS = ("我家被强拆了 <img src=x onerror=alert(1)> <script>window.__xss=1</script> "
       "点 javascript:alert(1) 或 https://example.com/a?b=1")


def _start_browser(profile: Path, width: int, height: int, phone: bool = False):
    """A headless chromium; fails (or skips with BOT_SKIP_BROWSER=1) with the reason."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
        if missing:
            raise RuntimeError(f"not installed: {', '.join(missing)} "
                               f"(Debian: apt-get install chromium chromium-driver)")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    f"--user-data-dir={profile}", f"--window-size={width},{height}",
                    "--lang=zh-CN"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as exc:  # any reason the browser cannot start
        message = f"the browser could not start: {type(exc).__name__}: {exc}"
        if os.environ.get("BOT_SKIP_BROWSER") == "1":
            pytest.skip(message + " (BOT_SKIP_BROWSER=1)")
        pytest.fail(message + "\nInstall chromium and chromium-driver, or set BOT_SKIP_BROWSER=1 "
                    "to skip the browser tests.", pytrace=False)
    if phone:  # headless windows are at least 500 px wide: emulate the phone's screen
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
    driver.set_page_load_timeout(WAIT_SECONDS)
    return driver


@pytest.fixture()
def open_browser(tmp_path: Path) -> Iterator[Callable]:
    """Start browsers (quit at the end of the test): ``open_browser(width, height, phone)``."""
    drivers = []

    def start(width: int = 1280, height: int = 900, phone: bool = False):
        driver = _start_browser(tmp_path / f"profile-{len(drivers)}", width, height, phone)
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()


# ---- helpers -----------------------------------------------------------------------------------
def wait(driver, condition: Callable, message: str, seconds: float = WAIT_SECONDS):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(
        lambda d: condition(d), message=message)


def wait_ready(driver) -> None:
    wait(driver, lambda d: d.execute_script("return document.documentElement.dataset.ready"),
         "the page did not finish loading (config and history)")


def open_page(driver, base_url: str) -> None:
    driver.get(f"{base_url}/webhooks/web/")
    wait_ready(driver)


def css(driver, selector: str) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def bubbles(driver) -> list[tuple[str, str]]:
    """(role, text) of every bubble in the chat, the welcome excluded."""
    return [tuple(row) for row in driver.execute_script("""
        return Array.from(document.querySelectorAll('#log .msg:not(.is-welcome):not(.is-typing)'))
          .filter(row => row.querySelector('.bubble'))
          .map(row => [row.classList.contains('msg-user') ? 'user' : 'bot',
                       row.querySelector('.bubble').textContent.replace(/^(我说|机器人说)：/, '')]);
    """)]


def send(driver, text: str) -> int:
    """Type a message and press Enter; return the number of bubbles before it."""
    from selenium.webdriver.common.keys import Keys

    before = len(bubbles(driver))
    box = css(driver, "#input")[0]
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    return before


def wait_for_reply(driver, before: int, what: str) -> list[tuple[str, str]]:
    """Wait until the bot answered (a bot bubble after the user's) and nothing is pending."""
    def answered(d) -> bool:
        rows = bubbles(d)
        return (len(rows) > before + 1 and rows[-1][0] == "bot" and not css(d, ".is-typing")
                and d.execute_script("return document.getElementById('send').disabled") is False)

    wait(driver, answered, f"no reply from the bot to {what}")
    return bubbles(driver)


def click_chip(driver, title: str) -> int:
    before = len(bubbles(driver))
    chips = [c for c in css(driver, ".chip:not(:disabled)") if c.text == title]
    assert chips, f"no active quick reply {title!r}: {[c.text for c in css(driver, '.chip')]}"
    chips[-1].click()
    return before


def console_errors(driver) -> list[str]:
    """Severe browser console entries (CSP violations, script errors, failed requests)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and "xinfang-sans.woff2" not in entry["message"]]


# ---- the tests ---------------------------------------------------------------------------------
def test_a_complaint_in_the_browser_then_reload(rasa_server: dict, open_browser, tmp_path: Path,
                                                kb: KnowledgeBase) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    base = rasa_server["rasa"]
    driver = open_browser(1280, 900)
    open_page(driver, base)
    page = css(driver, "body")[0].text
    assert "网上信访 · 法律渠道引导" in page
    assert "仅供参考，不构成法律意见；法律援助请拨打12348" in page
    privacy = css(driver, "#privacy")[0]
    assert privacy.is_displayed() and "天后删除" in privacy.text and "遮盖" in privacy.text
    assert css(driver, "#handoff")[0].is_displayed()
    assert bubbles(driver) == []  # a new visitor: only the welcome

    # the complaint: the bot asks who the other party is, with quick replies
    rows = wait_for_reply(driver, send(driver, COMPLAINT), "the complaint")
    assert rows[0] == ("user", COMPLAINT)
    assert css(driver, "#input")[0].get_attribute("value") == ""
    assert any("用人单位" in c.text for c in css(driver, ".chip:not(:disabled)"))
    driver.save_screenshot(str(tmp_path / "1-question.png"))

    # a quick reply: its title is the user's bubble; the answer has article cards
    rows = wait_for_reply(driver, click_chip(driver, "用人单位"), "the quick reply")
    assert ("user", "用人单位") in rows and not any("/" in t for r, t in rows if r == "user")
    assert any("劳动" in text and "仲裁" in text for role, text in rows if role == "bot")
    assert all(c.get_attribute("disabled") for c in css(driver, ".chip")
               if c.text in ("政府部门", "个人或公司"))  # the answered question's buttons are spent
    cards = css(driver, ".article-card")
    assert cards, "no article card in the answer"

    # 展开原文: the exact text of the article, inline, without a Rasa turn; 收起原文 hides it
    card = cards[0]
    toggle = card.find_element(By.CSS_SELECTOR, ".article-toggle")
    assert toggle.text == "展开原文" and toggle.get_attribute("aria-expanded") == "false"
    before = len(bubbles(driver))
    toggle.click()
    wait(driver, lambda d: card.find_elements(By.CSS_SELECTOR, ".article-text"),
         "the article text did not appear")
    body = card.find_element(By.CSS_SELECTOR, ".article-body")
    assert toggle.text == "收起原文" and toggle.get_attribute("aria-expanded") == "true"
    assert body.text == article_full_text(card.get_attribute("data-ref"), kb)
    assert body.text.startswith(card.find_element(By.CSS_SELECTOR, ".article-title").text)
    assert len(bubbles(driver)) == before
    driver.save_screenshot(str(tmp_path / "2-answer-with-article.png"))
    toggle.click()
    assert not body.is_displayed() and toggle.text == "展开原文"

    # feedback through a quick reply
    rows = wait_for_reply(driver, click_chip(driver, "有帮助"), "the feedback")
    assert rows[-2] == ("user", "有帮助") and "谢谢" in rows[-1][1]

    # markup and links: shown as text, never run; only http(s) becomes a link
    rows = wait_for_reply(driver, send(driver, XSS), "the message with markup")
    assert ("user", XSS) in rows
    rows = wait_for_reply(driver, _click_handoff(driver), "转人工")
    assert ("user", "转人工") in rows
    summary = [text for role, text in rows if role == "bot" and "<img src=x" in text]
    assert summary, "the handoff summary should quote the citizen's words as text"
    _assert_no_injection(driver)
    links = css(driver, "#log a")
    assert {a.get_attribute("href") for a in links} == {"https://example.com/a?b=1"}
    assert all(a.get_attribute("target") == "_blank" for a in links)
    assert all(a.get_attribute("rel") == "noopener noreferrer" for a in links)
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    driver.save_screenshot(str(tmp_path / "3-markup-as-text.png"))

    # reload: the same bubbles, with their times and cards, from the tracker store
    shown, titles = bubbles(driver), [c.text for c in css(driver, ".article-title")]
    driver.refresh()
    wait_ready(driver)
    wait(driver, lambda d: bubbles(d) == shown, "the reloaded history differs from the chat")
    times = css(driver, "#log .msg:not(.is-welcome) time")
    assert times and all(t.get_attribute("datetime") for t in times)
    assert [c.text for c in css(driver, ".article-title")] == titles
    _assert_no_injection(driver)
    driver.save_screenshot(str(tmp_path / "4-after-reload.png"))
    assert console_errors(driver) == []


def _click_handoff(driver) -> int:
    before = len(bubbles(driver))
    css(driver, "#handoff")[0].click()
    return before


def _assert_no_injection(driver) -> None:
    assert driver.execute_script("return window.__xss") is None
    assert css(driver, "#log img, #log script, #log iframe") == []
    assert css(driver, "a[href^='javascript']") == []


def test_failures_keep_the_text_and_say_why(rasa_server: dict, open_browser,
                                            tmp_path: Path) -> None:
    driver = open_browser(1280, 900)
    open_page(driver, rasa_server["rasa"])

    # too long: refused before sending, with the length, and nothing lost
    long_text = "拖欠工资" * 520
    driver.execute_script("const i = document.getElementById('input'); i.value = arguments[0];"
                          "i.dispatchEvent(new Event('input'));", long_text)
    assert css(driver, "#counter")[0].text == f"{len(long_text)} / 2000"
    send(driver, "")
    notice = wait(driver, lambda d: css(d, ".notice-error"), "no message for a long text")[-1]
    assert f"{len(long_text)}个字" in notice.text and "分成几条" in notice.text
    assert css(driver, "#input")[0].get_attribute("value") == long_text
    assert bubbles(driver) == []

    # the server refuses (400): its message is shown and the text stays in the box
    driver.execute_script("document.getElementById('input').value = '\\u0001';")
    send(driver, "")
    wait(driver, lambda d: len(css(d, ".notice-error")) == 2, "no message for a 400")
    assert "无法识别的字符" in css(driver, ".notice-error")[-1].text
    assert css(driver, "#input")[0].get_attribute("value") == "\u0001"
    assert css(driver, ".msg-user.is-failed")

    # offline: a clear message, the text back in the box; online again it is sent
    driver.execute_script("document.getElementById('input').value = '';")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    send(driver, "你好")
    wait(driver, lambda d: len(css(d, ".notice-error")) == 3, "no message when offline")
    assert "发送失败" in css(driver, ".notice-error")[-1].text
    assert "还在输入框里" in css(driver, ".notice-error")[-1].text
    assert css(driver, "#input")[0].get_attribute("value") == "你好"
    driver.save_screenshot(str(tmp_path / "offline.png"))
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    before = len(bubbles(driver))
    css(driver, "#send")[0].click()
    rows = wait_for_reply(driver, before, "the message sent again")
    assert rows[before] == ("user", "你好")
    assert css(driver, "#input")[0].get_attribute("value") == ""


def test_phone_layout(rasa_server: dict, open_browser, tmp_path: Path) -> None:
    width = 390
    driver = open_browser(width, 844, phone=True)
    open_page(driver, rasa_server["rasa"])
    assert driver.execute_script("return window.innerWidth") == width
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    box, send_button = css(driver, "#input")[0], css(driver, "#send")[0]
    for element in (box, send_button, css(driver, "#handoff")[0]):
        rect = element.rect
        assert element.is_displayed() and rect["x"] >= 0 and rect["x"] + rect["width"] <= width
        assert rect["y"] + rect["height"] <= 844, "the composer should be on the first screen"
    assert css(driver, ".privacy-inline")[0].is_displayed()
    rows = wait_for_reply(driver, send(driver, COMPLAINT), "the complaint on a phone")
    assert rows[0] == ("user", COMPLAINT)
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    driver.save_screenshot(str(tmp_path / "phone.png"))
    assert console_errors(driver) == []


def test_staff_open_the_page_with_their_id_and_practise(rasa_server: dict, open_browser,
                                                        tmp_path: Path) -> None:
    from tests.e2e.conftest import PRACTICE_WEB_STAFF

    driver = open_browser()
    driver.get(f"{rasa_server['rasa']}/webhooks/web/?sender={PRACTICE_WEB_STAFF}&embed=1")
    wait_ready(driver)
    # the id is kept by the browser and taken out of the address (not left in history or logs)
    assert "sender=" not in driver.current_url and "embed=1" in driver.current_url
    assert driver.execute_script(
        "return localStorage.getItem('xinfang.web.sender')") == PRACTICE_WEB_STAFF
    before = send(driver, "开始练习 1题")
    rows = wait_for_reply(driver, before, "开始练习")
    assert rows[-1][1].startswith("第1题（共1题）群众反映：")
    before = send(driver, "结束练习")
    rows = wait_for_reply(driver, before, "结束练习")
    assert rows[-1][1].startswith("已结束练习")
    driver.save_screenshot(str(tmp_path / "staff-practice.png"))
    # a malformed id in the address is ignored: the browser keeps the one it has
    driver.get(f"{rasa_server['rasa']}/webhooks/web/?sender=<b>x</b>")
    wait_ready(driver)
    assert driver.execute_script(
        "return localStorage.getItem('xinfang.web.sender')") == PRACTICE_WEB_STAFF
    assert console_errors(driver) == []


def test_a_link_with_someone_elses_id_is_not_adopted(rasa_server: dict, open_browser) -> None:
    """An id that is not staff, given in a link (by someone who wants to read the citizen's
    conversation later), is dropped: the page keeps its own id."""
    attacker_id = "attacker-chosen-id-0123456789"
    driver = open_browser()
    open_page(driver, rasa_server["rasa"])
    own = driver.execute_script("return localStorage.getItem('xinfang.web.sender')")
    assert own and own != attacker_id
    driver.get(f"{rasa_server['rasa']}/webhooks/web/?sender={attacker_id}")
    wait_ready(driver)
    assert "sender=" not in driver.current_url
    assert driver.execute_script("return localStorage.getItem('xinfang.web.sender')") == own
    # a fresh browser that had no id makes its own instead
    fresh = open_browser()
    fresh.get(f"{rasa_server['rasa']}/webhooks/web/?sender={attacker_id}")
    wait_ready(fresh)
    made = fresh.execute_script("return localStorage.getItem('xinfang.web.sender')")
    assert made and made != attacker_id
    assert console_errors(driver) == [] and console_errors(fresh) == []

