"""Email over SMTP with the standard library, configured under the names Flask-Mail users know.

`MAIL_SERVER` unset means email is off: inbox items are still delivered, and no email
delivery rows are written. One `SmtpMailer` keeps one connection for a worker pass; after a
connection-level failure it stops trying for the rest of the pass (the server is down: every
further message would wait for the same timeout), and the rows are retried with backoff.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from types import TracebackType

from notifications.render import Rendered

TRUE = ("1", "true", "yes", "on")
# Folding a Vietnamese subject at 78 columns loses the space where CPython splits two encoded words
# ("xử lý – Đã" arrives as "xử lý –Đã"); unfolded up to RFC 5322's 998, subjects (<= 200 characters) stay whole.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)
DEFAULT_SENDER = "presscase@localhost"


@dataclass(frozen=True)
class MailConfig:
    server: str | None = None
    port: int = 25
    use_tls: bool = False  # STARTTLS after connecting
    use_ssl: bool = False  # TLS from the first byte (SMTPS, usually port 465)
    username: str | None = None
    password: str | None = None
    default_sender: str = DEFAULT_SENDER
    timeout_s: float = 20.0

    @property
    def enabled(self) -> bool:
        return bool(self.server)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MailConfig:
        env = os.environ if env is None else env
        use_ssl = env.get("MAIL_USE_SSL", "").lower() in TRUE
        default_port = 465 if use_ssl else 25
        return cls(
            server=env.get("MAIL_SERVER") or None,
            port=int(env.get("MAIL_PORT") or default_port),
            use_tls=env.get("MAIL_USE_TLS", "").lower() in TRUE,
            use_ssl=use_ssl,
            username=env.get("MAIL_USERNAME") or None,
            password=env.get("MAIL_PASSWORD") or None,
            default_sender=env.get("MAIL_DEFAULT_SENDER") or DEFAULT_SENDER,
        )


def build_message(config: MailConfig, to_name: str, to_addr: str, rendered: Rendered, tag: str) -> EmailMessage:
    """A text/plain message with an HTML alternative; `tag` names the delivery, for tracing a message to its row."""
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = rendered.subject
    msg["From"] = config.default_sender
    msg["To"] = Address(display_name=to_name, addr_spec=to_addr)
    msg["Date"] = format_datetime(rendered.at)
    msg["Message-ID"] = make_msgid(domain=config.default_sender.rpartition("@")[2].strip(">") or "localhost")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    msg["X-Presscase-Delivery"] = tag
    msg.set_content(rendered.text)
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html")
    return msg


# The server answered and refused this one message: the connection stays usable for the next.
REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError, smtplib.SMTPNotSupportedError)


class MailUnavailable(Exception):
    """The server could not be reached in this pass; the message was not handed over."""


class SmtpMailer:
    """Sends messages over one lazily opened connection; use as a context manager."""

    def __init__(self, config: MailConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None
        self.broken: str | None = None

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        assert c.server
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if c.use_ssl:
            smtp = smtplib.SMTP_SSL(c.server, c.port, timeout=c.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(c.server, c.port, timeout=c.timeout_s)
            if c.use_tls:
                smtp.starttls(context=context)
        if c.username:
            smtp.login(c.username, c.password or "")
        return smtp

    def send(self, msg: EmailMessage) -> None:
        """Hand one message to the server; raises MailUnavailable or an smtplib error (the message was refused)."""
        if self.broken:
            raise MailUnavailable(f"not tried: {self.broken}")
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(msg)
        except REFUSED:
            self._reset()
            raise
        except OSError as exc:  # smtplib's errors are OSErrors: connection refused, timeouts, disconnects, auth
            self.close()
            self.broken = f"{type(exc).__name__}: {exc}"
            raise MailUnavailable(self.broken) from exc

    def _reset(self) -> None:
        """After a refused message the session may be mid-transaction: RSET, or start afresh."""
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None
