/*
 * The web chat page of the 信访 legal-channel guidance bot (served by bot/channels/web.py).
 * Plain JavaScript, no dependencies. Every text from the citizen or the server is put into the
 * page with textContent / createTextNode, never as HTML. The texts come from GET config
 * (knowledge/webchat.yaml); FALLBACK_LABELS are used only when the server cannot be reached.
 */
"use strict";

(() => {
  const SENDER_KEY = "xinfang.web.sender";
  const SENDER_RE = /^[A-Za-z0-9_-]{8,64}$/;
  const TIMEOUT_MS = 90000;
  const URL_RE = /https?:\/\/[^\s<>"'“”‘’，。；：！？、（）()【】《》]+/g;
  const FALLBACK_LABELS = {
    new_conversation_confirm: "开始新对话？",
    expand_article: "展开原文",
    collapse_article: "收起原文",
    article_loading: "正在读取原文……",
    typing: "正在回复……",
    no_reply: "机器人这次没有回复。",
    send_failed: "发送失败：网络连接有问题，或者服务器暂时不可用，请稍后再试。",
    timeout: "等了很久还没有收到回复，请稍后再试。",
    kept_in_input: "您输入的内容还在输入框里，没有丢失。",
    server_error: "服务暂时出了问题，请稍后再试。",
    history_failed: "暂时没能取回之前的对话，您可以直接继续提问。",
    quick_replies: "可选的回复",
    failed_mark: "未发送",
    too_long: "您的消息有{count}个字，超过了{max_chars}字的上限。请删减一些，或者分成几条发送。",
    empty: "请先输入您想咨询的问题。",
    you: "我说",
    bot: "机器人说",
  };

  const $ = (id) => document.getElementById(id);
  const log = $("log");
  const form = $("composer");
  const input = $("input");
  const sendButton = $("send");
  const handoffButton = $("handoff");
  const newChatButton = $("new-chat");
  const counter = $("counter");
  const statusRegion = $("status");

  const state = {
    labels: Object.assign({}, FALLBACK_LABELS),
    maxChars: 2000,
    welcome: "",
    sender: "",
    busy: false,
    lastRole: null,
    articleSeq: 0,
  };
  const timeFormat = new Intl.DateTimeFormat("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false });
  const dateTimeFormat = new Intl.DateTimeFormat("zh-CN", {
    month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
  });

  // ---- helpers ------------------------------------------------------------------------------
  function el(tag, className) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  function fill(text, values) {
    return Object.keys(values).reduce((t, key) => t.split("{" + key + "}").join(String(values[key])), text);
  }

  function charCount(text) {
    return Array.from(text).length;
  }

  function formatTime(date) {
    const now = new Date();
    return date.toDateString() === now.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
  }

  function userError(message) {
    const error = new Error(message);
    error.userMessage = message;
    return error;
  }

  /** fetch with a timeout; the JSON body, or an error carrying a Chinese message for the chat. */
  async function request(url, options) {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      let response;
      try {
        response = await fetch(url, Object.assign({ cache: "no-store", credentials: "same-origin" },
          options || {}, { signal: controller.signal }));
      } catch (err) {
        throw userError(controller.signal.aborted ? state.labels.timeout : state.labels.send_failed);
      }
      let data = null;
      try {
        data = await response.json();
      } catch (err) {
        data = null;
      }
      if (!response.ok) {
        const message = data && typeof data.error === "string" && data.error ? data.error : state.labels.server_error;
        throw userError(message);
      }
      if (data === null) throw userError(state.labels.server_error);
      return data;
    } finally {
      window.clearTimeout(timer);
    }
  }

  // ---- sender id ----------------------------------------------------------------------------
  function newSenderId() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function storeSender(id) {
    try {
      window.localStorage.setItem(SENDER_KEY, id);
    } catch (err) {
      /* storage blocked (private mode): the conversation just won't survive a reload */
    }
  }

  function senderFromAddress() {
    // ?sender=<id> is always removed from the address; loadSender adopts it only when the
    // server says the id is staff (config/staff.yml), so that nobody can send a citizen a link
    // with an id of their choosing and then read the citizen's conversation.
    const params = new URLSearchParams(window.location.search);
    const given = params.get("sender");
    if (given === null) return null;
    params.delete("sender");
    const rest = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") +
      window.location.hash);
    return SENDER_RE.test(given) ? given : null;
  }

  async function isStaffId(id) {
    try {
      const answer = await request("staff?sender=" + encodeURIComponent(id));
      return Boolean(answer && answer.staff === true);
    } catch (err) {
      return false;
    }
  }

  async function loadSender() {
    const given = senderFromAddress();
    if (given && await isStaffId(given)) {
      storeSender(given);
      return given;
    }
    let id = null;
    try {
      id = window.localStorage.getItem(SENDER_KEY);
    } catch (err) {
      id = null;
    }
    if (!id || !SENDER_RE.test(id)) {
      id = newSenderId();
      storeSender(id);
    }
    return id;
  }

  // ---- rendering ----------------------------------------------------------------------------
  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function safeLink(raw) {
    let url;
    try {
      url = new URL(raw);
    } catch (err) {
      return null;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    const link = el("a", "bubble-link");
    link.href = url.href;
    link.textContent = raw;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }

  /** Text with http(s) addresses made into links; everything else stays plain text. */
  function appendLinkedText(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URL_RE)) {
      const raw = match[0].replace(/[.,;:!?]+$/, "");
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(safeLink(raw) || document.createTextNode(raw));
      last = match.index + raw.length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function addRow(role) {
    const row = el("div", "msg msg-" + role);
    if (role === "bot") {
      const avatar = el("span", "avatar");
      avatar.setAttribute("aria-hidden", "true");
      row.appendChild(avatar);
      if (state.lastRole === "bot") row.classList.add("is-continued");
    }
    state.lastRole = role;
    const body = el("div", "msg-body");
    row.appendChild(body);
    log.appendChild(row);
    return { row, body };
  }

  function addBubble(role, text, timestamp, withTime) {
    const previous = log.lastElementChild;
    const { row, body } = addRow(role);
    if (role === "bot" && row.classList.contains("is-continued") && previous) {
      // one time under a run of bot bubbles: the last one's
      previous.querySelectorAll(":scope > .msg-body > time.meta").forEach((t) => { t.hidden = true; });
    }
    const bubble = el("div", "bubble");
    const who = el("span", "sr-only");
    who.textContent = (role === "user" ? state.labels.you : state.labels.bot) + "：";
    bubble.appendChild(who);
    if (role === "bot") appendLinkedText(bubble, text);
    else bubble.appendChild(document.createTextNode(text));
    body.appendChild(bubble);
    let time = null;
    if (withTime !== false) {
      const date = typeof timestamp === "number" && isFinite(timestamp) ? new Date(timestamp * 1000) : new Date();
      time = el("time", "meta");
      time.dateTime = date.toISOString();
      time.textContent = formatTime(date);
      body.appendChild(time);
    }
    scrollToEnd();
    return { row, body, bubble, time };
  }

  function articleCard(article) {
    const id = "article-" + (++state.articleSeq);
    const card = el("div", "article-card");
    card.dataset.ref = article.ref;
    const head = el("div", "article-head");
    const title = el("span", "article-title");
    title.textContent = article.title.replace(/原文$/, "");
    const toggle = el("button", "article-toggle");
    toggle.type = "button";
    toggle.textContent = state.labels.expand_article;
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", id);
    const body = el("div", "article-body");
    body.id = id;
    body.hidden = true;
    toggle.addEventListener("click", () => toggleArticle(article.ref, toggle, body));
    head.append(title, toggle);
    card.append(head, body);
    return card;
  }

  async function toggleArticle(ref, toggle, body) {
    if (toggle.getAttribute("aria-expanded") === "true") {
      body.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      toggle.textContent = state.labels.expand_article;
      return;
    }
    body.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    toggle.textContent = state.labels.collapse_article;
    if (body.dataset.loaded === "true" || body.getAttribute("aria-busy") === "true") return;
    body.classList.remove("is-error");
    body.textContent = state.labels.article_loading;
    body.setAttribute("aria-busy", "true");
    try {
      const data = await request("article?ref=" + encodeURIComponent(ref));
      body.textContent = "";
      const heading = el("p", "article-version");
      heading.textContent = String(data.title || "");
      const text = el("div", "article-text");
      text.textContent = String(data.text || "");
      body.append(heading, text);
      body.dataset.loaded = "true";
    } catch (err) {
      body.textContent = err.userMessage || state.labels.server_error;
      body.classList.add("is-error");
    } finally {
      body.removeAttribute("aria-busy");
    }
  }

  function quickReplies(replies, active) {
    const group = el("div", "quick-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", state.labels.quick_replies);
    for (const reply of replies) {
      const button = el("button", "chip");
      button.type = "button";
      button.textContent = reply.title;
      button.disabled = !active;
      button.addEventListener("click", () => {
        if (!button.disabled) sendMessage(reply.payload, reply.title, { chosen: button });
      });
      group.appendChild(button);
    }
    return group;
  }

  function addBotMessage(message, active, withTime) {
    const text = typeof message.text === "string" ? message.text : "";
    const parts = addBubble("bot", text, message.timestamp, withTime);
    const anchor = parts.time;
    const replies = [];
    for (const button of Array.isArray(message.buttons) ? message.buttons : []) {
      if (!button || typeof button.title !== "string" || !button.title) continue;
      const payload = typeof button.payload === "string" && button.payload ? button.payload : button.title;
      // the server names the article of a 查看原文 button (clean_buttons: article_ref)
      const ref = typeof button.article_ref === "string" && button.article_ref ? button.article_ref : null;
      if (ref) parts.body.insertBefore(articleCard({ title: button.title, ref }), anchor);
      else replies.push({ title: button.title, payload });
    }
    if (replies.length) parts.body.insertBefore(quickReplies(replies, active), anchor);
    scrollToEnd();
    return parts;
  }

  function showNotice(text, kind) {
    const { row, body } = addRow("system");
    const notice = el("div", "notice" + (kind === "error" ? " notice-error" : ""));
    if (kind === "error") notice.setAttribute("role", "alert");
    notice.textContent = text;
    body.appendChild(notice);
    row.classList.add("msg-system");
    scrollToEnd();
    return row;
  }

  function showTyping() {
    const { row, body } = addRow("bot");
    row.classList.add("is-typing");
    const bubble = el("div", "bubble typing");
    bubble.setAttribute("aria-hidden", "true");
    for (let i = 0; i < 3; i += 1) bubble.appendChild(el("span", "dot"));
    body.appendChild(bubble);
    statusRegion.textContent = state.labels.typing;
    scrollToEnd();
    return {
      remove() {
        row.remove();
        statusRegion.textContent = "";
        const last = log.lastElementChild;
        state.lastRole = !last ? null : last.classList.contains("msg-bot") ? "bot"
          : last.classList.contains("msg-user") ? "user" : "system";
      },
    };
  }

  function showWelcome() {
    if (state.welcome) addBotMessage({ text: state.welcome }, false, false).row.classList.add("is-welcome");
  }

  // ---- sending --------------------------------------------------------------------------------
  function setBusy(busy) {
    state.busy = busy;
    sendButton.disabled = busy;
    handoffButton.disabled = busy;
    newChatButton.disabled = busy;
    log.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function refocus() {
    const active = document.activeElement;
    const lost = !active || active === document.body || active.disabled;
    if (lost && !window.matchMedia("(pointer: coarse)").matches) input.focus({ preventScroll: true });
  }

  /**
   * Send one message (typed text, or a button's payload shown as its title). A failure leaves a
   * clear message in the chat and puts typed text back into the input box.
   */
  async function sendMessage(payload, shown, options) {
    const opts = options || {};
    if (state.busy) return false;
    if (opts.typed) {
      const count = charCount(payload);
      if (!payload) {
        showNotice(state.labels.empty, "error");
        return false;
      }
      if (count > state.maxChars) {
        showNotice(fill(state.labels.too_long, { count, max_chars: state.maxChars }), "error");
        return false;
      }
    }
    setBusy(true);
    const retired = Array.from(log.querySelectorAll(".chip:not(:disabled)"));
    retired.forEach((button) => { button.disabled = true; });
    if (opts.chosen) opts.chosen.classList.add("is-chosen");
    const sent = addBubble("user", shown, null, true);
    if (opts.typed) {
      input.value = "";
      inputChanged();
    }
    const typing = showTyping();
    try {
      const messages = await request("webhook", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: state.sender, message: payload }),
      });
      typing.remove();
      // a message with neither text nor buttons is data for the website (the route as JSON)
      const list = (Array.isArray(messages) ? messages : []).filter((message) =>
        message && ((typeof message.text === "string" && message.text) ||
                    (Array.isArray(message.buttons) && message.buttons.length)));
      list.forEach((message) => addBotMessage(message, true, true));
      if (!list.length) showNotice(state.labels.no_reply);
      return true;
    } catch (err) {
      typing.remove();
      sent.row.classList.add("is-failed");
      const mark = el("span", "failed-mark");
      mark.textContent = state.labels.failed_mark;
      sent.body.appendChild(mark);
      retired.forEach((button) => { button.disabled = false; });
      if (opts.chosen) opts.chosen.classList.remove("is-chosen");
      let message = err.userMessage || state.labels.send_failed;
      if (opts.typed) {
        input.value = input.value ? payload + "\n" + input.value : payload;
        inputChanged();
        message += state.labels.kept_in_input;
      }
      showNotice(message, "error");
      return false;
    } finally {
      setBusy(false);
      refocus();
    }
  }

  function inputChanged() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 168) + "px";
    input.style.overflowY = input.scrollHeight + 2 > 168 ? "auto" : "hidden";
    const count = charCount(input.value);
    const near = count > state.maxChars * 0.8;
    counter.textContent = near ? count + " / " + state.maxChars : "";
    counter.classList.toggle("is-over", count > state.maxChars);
  }

  function submitTyped() {
    if (state.busy) return;
    const text = input.value.trim();
    sendMessage(text, text, { typed: true });
  }

  // ---- start ------------------------------------------------------------------------------------
  function applyConfig(config) {
    if (config.labels && typeof config.labels === "object") Object.assign(state.labels, config.labels);
    if (Number.isInteger(config.max_chars) && config.max_chars > 0) state.maxChars = config.max_chars;
    if (typeof config.welcome === "string") state.welcome = config.welcome;
    if (typeof config.privacy === "string") {
      $("privacy").textContent = config.privacy;
      $("privacy-inline").textContent = config.privacy;
    }
    const list = $("hotlines");
    list.textContent = "";
    for (const hotline of Array.isArray(config.hotlines) ? config.hotlines : []) {
      if (!hotline || !/^\d{3,5}$/.test(String(hotline.number))) continue;
      const item = el("li", "hotline");
      const link = el("a", "hotline-number");
      link.href = "tel:" + hotline.number;
      link.textContent = String(hotline.number);
      const name = el("span", "hotline-name");
      name.textContent = String(hotline.name || "");
      item.append(link, name);
      list.appendChild(item);
    }
  }

  async function loadHistory() {
    let entries;
    try {
      entries = await request("history?sender=" + encodeURIComponent(state.sender));
    } catch (err) {
      showNotice(state.labels.history_failed);
      return;
    }
    if (!Array.isArray(entries)) return;
    let lastUser = -1;
    entries.forEach((entry, index) => { if (entry && entry.role === "user") lastUser = index; });
    entries.forEach((entry, index) => {
      if (!entry || typeof entry.text !== "string") return;
      if (entry.role === "user") addBubble("user", entry.text, entry.timestamp, true);
      else addBotMessage(entry, index > lastUser, true);
    });
  }

  function startNewConversation() {
    if (state.busy || !window.confirm(state.labels.new_conversation_confirm)) return;
    state.sender = newSenderId();
    storeSender(state.sender);
    log.textContent = "";
    state.lastRole = null;
    showWelcome();
    input.focus();
  }

  async function init() {
    if (new URLSearchParams(window.location.search).get("embed") === "1") {
      document.documentElement.classList.add("embed");
    }
    state.sender = await loadSender();
    log.setAttribute("aria-busy", "true");
    let config = null;
    try {
      config = await request("config");
    } catch (err) {
      config = null;
    }
    if (config) applyConfig(config);
    inputChanged();
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(inputChanged);
    showWelcome();
    await loadHistory();
    log.setAttribute("aria-busy", "false");
    scrollToEnd();
    document.documentElement.dataset.ready = "true";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitTyped();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submitTyped();
    }
  });
  input.addEventListener("input", inputChanged);
  window.addEventListener("resize", inputChanged);
  handoffButton.addEventListener("click", () => {
    sendMessage(handoffButton.dataset.payload, handoffButton.textContent.trim(), {});
  });
  newChatButton.addEventListener("click", startNewConversation);

  init();
})();
