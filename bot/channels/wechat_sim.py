"""Signed simulated WeChat requests: send one to a running server and print the reply.

    make run        # in another terminal
    .venv/bin/python -m bot.channels.wechat_sim "单位拖欠工资"
    .venv/bin/python -m bot.channels.wechat_sim --aes "第三十一条是什么"
    .venv/bin/python -m bot.channels.wechat_sim --type subscribe

It signs with the token, AppID and EncodingAESKey of credentials.yml (WECHAT_* environment
variables win), exactly as WeChat's servers do. The tests build their requests with the same
functions (:func:`build_post`, :func:`url_check_query`, :func:`open_reply`).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import queue
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from bot.channels.wechat import FOLLOWUPS_HEADER, WeChatConfig, WeChatConfigError, parse_xml

DEFAULT_URL = "http://localhost:5005/webhooks/wechat/webhook"
SECTION = "bot.channels.wechat.WeChatInput"
DEFAULT_OPENID = "oSimulatedUser0000000000000"
OFFICIAL_ACCOUNT = "gh_simulated00"  # the account's original id (ToUserName)
MESSAGE_KINDS = ("text", "voice", "image", "location", "link", "video", "shortvideo",
                 "miniprogrampage", "file")  # anything else is sent as an event


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode("utf-8")).hexdigest()


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(openid: str, text: str = "", *, msg_type: str = "text",
                msg_id: int | str | None = None, create_time: int | None = None,
                to_user: str = OFFICIAL_ACCOUNT, fields: Mapping[str, str] | None = None
                ) -> str:
    """A message as WeChat posts it. ``msg_type``: text, voice (``text`` is the Recognition),
    image, location, link, video, or an event name (subscribe, unsubscribe, CLICK …)."""
    create_time = int(time.time()) if create_time is None else create_time
    nodes = [f"<ToUserName>{_cdata(to_user)}</ToUserName>",
             f"<FromUserName>{_cdata(openid)}</FromUserName>",
             f"<CreateTime>{create_time}</CreateTime>"]
    if msg_type in MESSAGE_KINDS:
        nodes.append(f"<MsgType>{_cdata(msg_type)}</MsgType>")
        if msg_type == "text":
            nodes.append(f"<Content>{_cdata(text)}</Content>")
        elif msg_type == "voice":
            nodes += [f"<MediaId>{_cdata('media-sim')}</MediaId>",
                      f"<Format>{_cdata('amr')}</Format>",
                      f"<Recognition>{_cdata(text)}</Recognition>"]
        elif msg_type == "image":
            nodes += [f"<PicUrl>{_cdata('http://example.invalid/p.jpg')}</PicUrl>",
                      f"<MediaId>{_cdata('media-sim')}</MediaId>"]
        msg_id = secrets.randbelow(10**18) if msg_id is None else msg_id
        nodes.append(f"<MsgId>{msg_id}</MsgId>")
    else:
        nodes += [f"<MsgType>{_cdata('event')}</MsgType>", f"<Event>{_cdata(msg_type)}</Event>"]
    for name, value in (fields or {}).items():
        nodes.append(f"<{name}>{_cdata(value)}</{name}>")
    return "<xml>" + "".join(nodes) + "</xml>"


def url_check_query(token: str, echostr: str, *, timestamp: str | None = None,
                    nonce: str | None = None) -> dict[str, str]:
    """The query of the admin console's URL check (GET)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(5)
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp,
            "nonce": nonce, "echostr": echostr}


def build_post(config: WeChatConfig, xml: str, *, aes: bool = False,
               openid: str = DEFAULT_OPENID, timestamp: str | None = None,
               nonce: str | None = None) -> tuple[dict[str, str], bytes]:
    """The signed query and the body of a POST, plaintext or safe mode (``aes``)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(5)
    query = {"signature": sign(config.token, timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, "openid": openid}
    if not aes:
        return query, xml.encode("utf-8")
    if not config.encoding_aes_key:
        raise WeChatConfigError("safe mode needs encoding_aes_key")
    from wechatpy.crypto import PrpCrypto, _get_signature

    key = base64.b64decode(config.encoding_aes_key + "=")
    encrypt = PrpCrypto(key).encrypt(xml, config.appid).decode("ascii")
    query.update(encrypt_type="aes",
                 msg_signature=_get_signature(config.token, timestamp, nonce, encrypt))
    body = f"<xml><ToUserName>{_cdata(OFFICIAL_ACCOUNT)}</ToUserName>" \
           f"<Encrypt>{_cdata(encrypt)}</Encrypt></xml>"
    return query, body.encode("utf-8")


def open_reply(config: WeChatConfig, body: bytes, *, aes: bool = False) -> dict[str, Any] | None:
    """The reply's fields (``Content`` …), decrypted and its signature checked in safe mode;
    None for ``success`` or an empty answer."""
    text = body.decode("utf-8").strip()
    if text in ("", "success"):
        return None
    data = parse_xml(body)
    if aes:
        from wechatpy.crypto import WeChatCrypto

        crypto = WeChatCrypto(config.token, config.encoding_aes_key, config.appid)
        plain = crypto.decrypt_message(data, data["MsgSignature"], data["TimeStamp"],
                                       data["Nonce"])
        data = parse_xml(plain.encode("utf-8"))
    return data


# ---- WeCom (企业微信): always encrypted ------------------------------------------------------
def _work_crypto(config: Any) -> Any:
    from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto

    return WorkCrypto(config.token, config.encoding_aes_key, config.corp_id)


def wecom_url_check_query(config: Any, echostr: str) -> dict[str, str]:
    """The query of WeCom's URL check: an encrypted echostr and its msg_signature."""
    from wechatpy.crypto import _get_signature
    from wechatpy.enterprise.crypto import PrpCrypto

    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    key = base64.b64decode(config.encoding_aes_key + "=")
    encrypted = PrpCrypto(key).encrypt(echostr, config.corp_id).decode("ascii")
    return {"msg_signature": _get_signature(config.token, timestamp, nonce, encrypted),
            "timestamp": timestamp, "nonce": nonce, "echostr": encrypted}


def build_wecom_post(config: Any, xml: str, *, timestamp: str | None = None
                     ) -> tuple[dict[str, str], bytes]:
    """The signed query and the encrypted body of a WeCom POST (``config``: WeComConfig),
    signed with the current time unless ``timestamp`` is given."""
    sealed = parse_xml(_work_crypto(config).encrypt_message(
        xml, secrets.token_hex(5), timestamp or str(int(time.time()))).encode("utf-8"))
    query = {"msg_signature": sealed["MsgSignature"], "timestamp": sealed["TimeStamp"],
             "nonce": sealed["Nonce"]}
    body = (f"<xml><ToUserName>{_cdata(config.corp_id)}</ToUserName>"
            f"<Encrypt>{_cdata(sealed['Encrypt'])}</Encrypt>"
            f"<AgentID>{_cdata(str(config.agent_id))}</AgentID></xml>")
    return query, body.encode("utf-8")


def open_wecom_reply(config: Any, body: bytes) -> dict[str, Any] | None:
    """A WeCom reply's fields, decrypted (its signature checked); None for ``success``."""
    if body.decode("utf-8").strip() in ("", "success"):
        return None
    data = parse_xml(body)
    plain = _work_crypto(config).decrypt_message(data, data["MsgSignature"], data["TimeStamp"],
                                                 data["Nonce"])
    return parse_xml(plain.encode("utf-8"))


def load_config(path: str | Path = "credentials.yml", section: str = SECTION) -> WeChatConfig:
    """The channel settings as the server reads them (file, then WECHAT_* variables)."""
    data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    return WeChatConfig.from_mapping(data.get(section) or {})


def post(url: str, query: Mapping[str, str], body: bytes, timeout: float = 30.0
         ) -> tuple[int, bytes, int]:
    """POST ``body`` to ``url`` with ``query``: the status, the body of the answer and the
    number of messages the server sends after it through the API (its X-Followups header)."""
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode(query)}", data=body,
                                     headers={"Content-Type": "text/xml; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            followups = answer.headers.get(FOLLOWUPS_HEADER, "0")
            return answer.status, answer.read(), int(followups) if followups.isdigit() else 0
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), 0


class FakeApi:
    """WeChat's token and customer-service endpoints on a local port, for a server started
    with ``WECHAT_API_BASE_URL=http://localhost:PORT/``: collects what it would send."""

    def __init__(self, port: int) -> None:
        self.messages: queue.Queue[str] = queue.Queue()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, data: dict) -> None:
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.startswith(("/cgi-bin/token", "/cgi-bin/gettoken")):
                    self._json({"access_token": "SIMULATED-TOKEN", "expires_in": 7200})
                else:
                    self._json({"errcode": 404, "errmsg": "not simulated"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    data = json.loads(self.rfile.read(min(length, 1 << 20)) or b"{}")
                    outer.messages.put(str(data["text"]["content"]))
                    self._json({"errcode": 0, "errmsg": "ok"})
                except (ValueError, KeyError, TypeError):
                    self._json({"errcode": 44002, "errmsg": "empty post data"})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def collect(self, expected: int | None, timeout: float = 30.0, quiet: float = 2.0
                ) -> list[str]:
        """``expected`` messages, or (None) those arriving until ``quiet`` seconds pass."""
        found: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (expected is None or len(found) < expected):
            wait = deadline - time.monotonic() if not found or expected else quiet
            try:
                found.append(self.messages.get(timeout=max(0.05, wait)))
            except queue.Empty:
                if found or expected:
                    break
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str] | None = None) -> int:
    """Command line: send one simulated message and print the reply."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.channels.wechat_sim",
        description="向运行中的机器人发送一条带签名的模拟公众号消息，并显示回复。")
    parser.add_argument("text", nargs="?", default="", help="消息文字（语音消息时为识别结果）")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"webhook（默认 {DEFAULT_URL}）")
    parser.add_argument("--aes", action="store_true", help="安全模式：加密消息，解密回复")
    parser.add_argument("--openid", default=DEFAULT_OPENID, help="模拟用户的 openid")
    parser.add_argument("--credentials", default="credentials.yml", help="credentials.yml 路径")
    parser.add_argument("--type", default="text", dest="msg_type",
                        help="text（默认）、voice、image、location、subscribe 等")
    parser.add_argument("--api-port", type=int, default=0,
                        help="在这个端口模拟微信的客服消息接口并显示发来的消息（服务器需以 "
                             "WECHAT_API_BASE_URL=http://localhost:端口/ 启动）")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.credentials)
        xml = message_xml(args.openid, args.text, msg_type=args.msg_type)
        query, body = build_post(config, xml, aes=args.aes, openid=args.openid)
    except (OSError, yaml.YAMLError, WeChatConfigError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    try:
        api = FakeApi(args.api_port) if args.api_port else None
    except OSError as exc:
        print(f"错误：端口 {args.api_port} 不可用：{exc}", file=sys.stderr)
        return 2
    try:
        return _exchange(args, config, query, body, api)
    finally:
        if api is not None:
            api.close()


def _exchange(args: argparse.Namespace, config: WeChatConfig, query: dict[str, str],
              body: bytes, api: FakeApi | None) -> int:
    try:
        status, answer, followups = post(args.url, query, body)
    except OSError as exc:
        print(f"错误：连接不上 {args.url}（先运行 make run）：{exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"错误：服务器回答 HTTP {status}：{answer.decode('utf-8', 'replace')[:200]}",
              file=sys.stderr)
        return 1
    try:
        reply = open_reply(config, answer, aes=args.aes)
    except Exception as exc:
        print(f"错误：无法读取回复（{type(exc).__name__}）", file=sys.stderr)
        return 1
    if reply is None:
        print("（服务器回答 success：回答没有在时限内准备好，会通过客服消息接口发送。）")
    else:
        print(reply.get("Content") or reply)
    if api is not None and (followups or reply is None):
        for message in api.collect(followups or None):
            print(f"\n【客服消息】\n{message}")
    elif followups:
        print(f"（后面还有 {followups} 条消息，服务器通过客服消息接口发送给用户；"
              "用 --api-port 可以在这里看到。）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
