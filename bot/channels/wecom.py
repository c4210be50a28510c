"""WeCom (企业微信) self-built app channel: ``/webhooks/wecom/webhook``.

The same machinery as the Official Account channel (bot/channels/wechat.py: dedupe of
retries, the 5-second rule, numbered choices, splitting, the shared access_token), with WeCom's
differences: every message is encrypted (msg_signature and the CorpID inside are checked, the
reply is encrypted), the URL check decrypts an encrypted echostr, the token comes from
``cgi-bin/gettoken`` and late answers go through ``cgi-bin/message/send`` with the agent id.
Sender ids in Rasa are ``wecom-<userid>``.

Not in credentials.yml by default; to enable it add::

    bot.channels.wecom.WeComInput:
      corp_id: "ww..."          # or WECOM_CORP_ID
      agent_id: 1000002         # or WECOM_AGENT_ID
      secret: ""                # the app's Secret: WECOM_SECRET
      token: ""                 # 接收消息 Token: WECOM_TOKEN
      encoding_aes_key: ""      # 接收消息 EncodingAESKey: WECOM_ENCODING_AES_KEY
      # api_base_url: "https://qyapi.weixin.qq.com/"   # WECOM_API_BASE_URL
      # reply_timeout: 4.0
      # max_age: 300            # seconds a message's timestamp may be off (WECOM_MAX_AGE)
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from wechatpy.enterprise.client import WeChatClient as WorkWeChatClient
from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto
from wechatpy.enterprise.events import EVENT_TYPES as WORK_EVENT_TYPES
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.enterprise.messages import MESSAGE_TYPES as WORK_MESSAGE_TYPES
from wechatpy.exceptions import InvalidSignatureException

from bot.channels.wechat import (
    DEFAULT_MAX_AGE,
    DEFAULT_REPLY_TIMEOUT,
    HTTP_TIMEOUT,
    Incoming,
    Rejected,
    TextMessengerInput,
    TimeoutSession,
    TokenClientMixin,
    WeChatConfigError,
    build_message,
    check_aes_key,
    check_base_url,
    check_fresh,
    check_max_age,
    check_timeout,
    check_token,
    parse_xml,
    setting,
)
from bot.channels.wechat_store import DatabaseSessionStorage

log = logging.getLogger(__name__)

DEFAULT_WECOM_API_BASE_URL = "https://qyapi.weixin.qq.com/"


@dataclass(frozen=True)
class WeComConfig:
    """Settings of the WeCom channel (credentials.yml, WECOM_* environment overrides)."""

    corp_id: str
    agent_id: int
    token: str
    encoding_aes_key: str
    secret: str = ""
    api_base_url: str = DEFAULT_WECOM_API_BASE_URL
    reply_timeout: float = DEFAULT_REPLY_TIMEOUT
    max_age: int = DEFAULT_MAX_AGE

    ENV = {"corp_id": "WECOM_CORP_ID", "agent_id": "WECOM_AGENT_ID", "secret": "WECOM_SECRET",
           "token": "WECOM_TOKEN", "encoding_aes_key": "WECOM_ENCODING_AES_KEY",
           "api_base_url": "WECOM_API_BASE_URL", "max_age": "WECOM_MAX_AGE"}

    @classmethod
    def from_mapping(cls, credentials: Mapping[str, Any] | None,
                     environ: Mapping[str, str] | None = None) -> WeComConfig:
        """Read and check the settings; WECOM_* environment variables win over the file."""
        credentials = credentials or {}
        environ = os.environ if environ is None else environ
        where = "WeCom channel (credentials.yml / WECOM_*)"
        get = partial(setting, credentials, environ)
        corp_id = str(get("corp_id", cls.ENV["corp_id"]) or "").strip()
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", corp_id):
            raise WeChatConfigError(f"{where}: corp_id is missing or malformed")
        try:
            agent_id = int(str(get("agent_id", cls.ENV["agent_id"])).strip())
        except ValueError:
            raise WeChatConfigError(f"{where}: agent_id must be the app's number") from None
        return cls(
            corp_id=corp_id,
            agent_id=agent_id,
            token=check_token(get("token", cls.ENV["token"]), where),
            encoding_aes_key=check_aes_key(get("encoding_aes_key", cls.ENV["encoding_aes_key"]),
                                           where, required=True),
            secret=str(get("secret", cls.ENV["secret"]) or "").strip(),
            api_base_url=check_base_url(get("api_base_url", cls.ENV["api_base_url"],
                                            DEFAULT_WECOM_API_BASE_URL), where),
            reply_timeout=check_timeout(get("reply_timeout", None, DEFAULT_REPLY_TIMEOUT), where),
            max_age=check_max_age(get("max_age", cls.ENV["max_age"], DEFAULT_MAX_AGE), where),
        )


class WorkClient(TokenClientMixin, WorkWeChatClient):
    """wechatpy's WeCom client pointed at ``api_base_url``, with the database token storage."""

    def __init__(self, corp_id: str, secret: str, agent_id: int, api_base_url: str,
                 session: DatabaseSessionStorage) -> None:
        super().__init__(corp_id, secret, session=session, timeout=HTTP_TIMEOUT,
                         auto_retry=False)
        self._http = TimeoutSession()
        self.agent_id = agent_id
        self.API_BASE_URL = api_base_url + "cgi-bin/"
        self.token_url = api_base_url + "cgi-bin/gettoken"

    @property
    def access_token_key(self) -> str:  # wechatpy's key holds part of the secret
        return f"wecom_{self.corp_id}_{self.agent_id}_access_token"

    def fetch_access_token(self) -> dict:
        """GET cgi-bin/gettoken and store the token for every worker."""
        return self._fetch_access_token(url=self.token_url, params={
            "corpid": self.corp_id, "corpsecret": self.secret})

    def send_text(self, user: str, content: str) -> dict:
        """POST cgi-bin/message/send: one text message from the app to ``user`` (a userid)."""
        return self._with_token_retry(lambda: self.post("message/send", data={
            "touser": user, "msgtype": "text", "agentid": self.agent_id,
            "text": {"content": content}}))


class WeComInput(TextMessengerInput):
    """The WeCom (企业微信) self-built app channel."""

    prefix = "wecom"

    @classmethod
    def name(cls) -> str:
        return "wecom"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> WeComInput:
        """From credentials.yml (WECOM_* environment variables win); checked at start-up."""
        config = WeComConfig.from_mapping(credentials)
        if not config.secret:
            log.warning("wecom: no secret: answers slower than %.1f s cannot be sent",
                        config.reply_timeout)
        return cls(config, db_url=(credentials or {}).get("db_url"))

    def __init__(self, config: WeComConfig, db_url: str | None = None,
                 texts: Mapping[str, str] | None = None) -> None:
        super().__init__(config, db_url, texts)
        self.crypto = WorkCrypto(config.token, config.encoding_aes_key, config.corp_id)

    def check_url(self, args: Mapping[str, str]) -> str | None:
        try:
            return self.crypto.check_signature(args.get("msg_signature", ""),
                                               args.get("timestamp", ""),
                                               args.get("nonce", ""), args.get("echostr", ""))
        except (InvalidSignatureException, InvalidCorpIdException):
            return None

    def check_query(self, args: Mapping[str, str]) -> None:
        if not args.get("msg_signature"):
            raise Rejected(403, "msg_signature missing")
        check_fresh(args, self.config.max_age)

    def open_request(self, args: Mapping[str, str], body: bytes) -> Incoming:
        try:
            data = parse_xml(body)
        except ValueError as exc:
            raise Rejected(400, str(exc)) from None
        if not isinstance(data.get("Encrypt"), str):
            raise Rejected(400, "no Encrypt element")
        try:
            plain = self.crypto.decrypt_message(data, args["msg_signature"],
                                                args.get("timestamp", ""), args.get("nonce", ""))
        except InvalidSignatureException:
            raise Rejected(403, "bad msg_signature") from None
        except InvalidCorpIdException:
            raise Rejected(403, "CorpID in the message is not ours") from None
        except Exception as exc:  # bad base64, padding, length
            raise Rejected(400, f"cannot decrypt ({type(exc).__name__})") from None
        try:
            data = parse_xml(plain.encode("utf-8"))
            message = build_message(data, WORK_MESSAGE_TYPES, WORK_EVENT_TYPES)
        except ValueError as exc:
            raise Rejected(400, f"decrypted {exc}") from None
        agent = str(data.get("AgentID") or "").strip()
        if agent and agent != str(self.config.agent_id):
            raise Rejected(403, "message for another agent")
        return Incoming(message, True, args.get("nonce", ""))

    def seal(self, xml: str, incoming: Incoming) -> str:
        return self.crypto.encrypt_message(xml, incoming.nonce or "nonce")

    def make_client(self) -> WorkClient:
        if not self.config.secret:
            raise WeChatConfigError("wecom: no secret configured")
        return WorkClient(self.config.corp_id, self.config.secret, self.config.agent_id,
                          self.config.api_base_url, DatabaseSessionStorage(self.store.db_url))
