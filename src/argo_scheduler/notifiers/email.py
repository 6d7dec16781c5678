"""The `email` notifier: a mail per finished run, over SMTP, with the HTML output attached.

Subject "report COMPLETED", a plain-text body with the summary, the job's
id and times, and the HTML output attached when it exists and is at most
`max_attachment_bytes` (else the body says where to find it). SMTP
credentials come from a Kubernetes Secret by reference, and are only ever
sent over TLS (STARTTLS or SMTPS). A job may name its own recipients (its
`notify_email_to` run option), within `allowed_recipient_domains`.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any

from traitlets import CaselessStrEnum, Integer, List, Unicode

from ..runtime import secrets
from .base import Notifier, NotifierError
from .secrets import notifier_secret_env
from .summary import html_output, summary, title

if TYPE_CHECKING:
    from kubernetes.client import V1EnvVar

    from ..spec import RunSpec

USERNAME = "EMAIL_USERNAME"
PASSWORD = "EMAIL_PASSWORD"
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
TARGET_KEY = "notify_email_to"
# A plain address: no display name, no quoting, nothing that could end a header.
_ADDRESS = re.compile(r"[A-Za-z0-9.!#%&'*+/=?^_`{|}~-]+@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)")


def recipients(text: str) -> list[str]:
    """The addresses of a comma-separated list."""
    return [a.strip() for a in text.split(",") if a.strip()]


class EmailNotifier(Notifier):
    """Mails a summary of the finished run, with its HTML output attached."""

    target_key = TARGET_KEY
    target_label = "E-mail recipients"
    target_placeholder = "ana@example.com, ops@example.com"

    host = Unicode(
        "",
        config=True,
        help="""SMTP server's host name. Default: "" (must be set).

            c.EmailNotifier.host = "smtp.example.com"
        """,
    )

    port = Integer(
        0,
        config=True,
        help="""SMTP server's port. Default: 0, meaning the usual one for
        security: 587 for "starttls", 465 for "ssl", 25 for "none".

            c.EmailNotifier.port = 587
        """,
    )

    security = CaselessStrEnum(
        ["starttls", "ssl", "none"],
        default_value="starttls",
        config=True,
        help="""How the connection is encrypted: "starttls" (plain connection
        upgraded with STARTTLS, which must succeed), "ssl" (TLS from the
        start, SMTPS), or "none" (only for a relay inside the cluster;
        credentials are refused then). Default: "starttls".

            c.EmailNotifier.security = "ssl"
        """,
    )

    ca_bundle = Unicode(
        "",
        config=True,
        help="""CA certificates file (PEM), in the job's image, that verifies
        the SMTP server's certificate when it is signed by a private CA.
        Default: "" (the system's CAs).

            c.EmailNotifier.ca_bundle = "/etc/ssl/certs/internal-ca.pem"
        """,
    )

    sender = Unicode(
        "",
        config=True,
        help="""From address. Default: "" (must be set).

            c.EmailNotifier.sender = "Notebook jobs <jobs@example.com>"
        """,
    )

    to = List(
        Unicode(),
        config=True,
        help="""Recipients' addresses. Default: [] (must be set).

            c.EmailNotifier.to = ["data-team@example.com"]
        """,
    )

    allowed_recipient_domains = List(
        Unicode(),
        config=True,
        help="""The only domains a job's own recipients (its notify_email_to run
        option) may be at, compared without case; a job naming an address
        elsewhere is refused when it is submitted. The configured `to` is not
        restricted. Default: [] (any domain).

            c.EmailNotifier.allowed_recipient_domains = ["example.com"]
        """,
    )

    credentials_secret = Unicode(
        "",
        config=True,
        help="""Name of the Kubernetes Secret (in the workflows' namespace)
        holding the SMTP user name and password, read by the pod by reference.
        Default: "" (no authentication).

            c.EmailNotifier.credentials_secret = "smtp-credentials"
        """,
    )

    username_key = Unicode(
        "username",
        config=True,
        help="""Key of credentials_secret's Secret that holds the user name. Default: "username".

            c.EmailNotifier.username_key = "username"
        """,
    )

    password_key = Unicode(
        "password",
        config=True,
        help="""Key of credentials_secret's Secret that holds the password. Default: "password".

            c.EmailNotifier.password_key = "password"
        """,
    )

    max_attachment_bytes = Integer(
        5_000_000,
        config=True,
        help="""Largest HTML output attached to the mail, in bytes; a larger one
        is named in the body instead. 0 never attaches. Default: 5000000.

            c.EmailNotifier.max_attachment_bytes = 10_000_000
        """,
    )

    # ---- server half ----------------------------------------------------

    def _missing(self, job_recipients: bool = False) -> list[str]:
        needed = ("host", "sender") if job_recipients else ("host", "sender", "to")
        return [f"c.EmailNotifier.{name}" for name in needed if not getattr(self, name)]

    def check_target(self, value: str) -> str:
        addresses = recipients(value)
        if not addresses:
            raise ValueError("give one or more e-mail addresses, separated by commas")
        domains = {d.strip().lstrip("@").lower() for d in self.allowed_recipient_domains if d.strip()}
        for address in addresses:
            match = _ADDRESS.fullmatch(address)
            if match is None:
                raise ValueError(f"{address!r} is not an e-mail address like ana@example.com")
            if domains and match.group(1).lower() not in domains:
                raise ValueError(f"{address} is not at a domain allowed here; allowed: {', '.join(sorted(domains))}")
        return ", ".join(addresses)

    def target_default(self) -> str | None:
        return ", ".join(self.to) or None

    def target_hint(self) -> str | None:
        domains = sorted({d.strip().lstrip("@").lower() for d in self.allowed_recipient_domains if d.strip()})
        return f"addresses at {', '.join(domains)} only" if domains else None

    def pod_env(self, job: "RunSpec") -> list["V1EnvVar"]:
        given = (job.runtime_environment_parameters or {}).get(TARGET_KEY)
        missing = self._missing(job_recipients=bool(str(given or "").strip()))
        if missing:
            raise ValueError(f"the email notifier is not configured: set {', '.join(missing)}")
        if self.credentials_secret and self.security == "none":
            raise ValueError(
                'the email notifier would send its credentials unencrypted: set c.EmailNotifier.security = "starttls" or "ssl"'
            )
        env = super().pod_env(job)
        if self.credentials_secret:
            env.append(notifier_secret_env(USERNAME, self.credentials_secret, self.username_key))
            env.append(notifier_secret_env(PASSWORD, self.credentials_secret, self.password_key))
        return env

    # ---- pod half -------------------------------------------------------

    def message(self, event: dict[str, Any]) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = title(event)
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients())
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="argo-scheduler")
        lines = [summary(event), ""]
        lines += [f"Job id: {event.get('job_id')}"]
        for label, key in (("Started", "start_time"), ("Ended", "end_time")):
            if isinstance(event.get(key), int):
                when = datetime.fromtimestamp(event[key] / 1000, timezone.utc)
                lines.append(f"{label}: {when:%Y-%m-%d %H:%M:%S} UTC")
        attachment = None
        html = html_output(event)
        if html is not None:
            size = os.path.getsize(html)
            if 0 < size <= self.max_attachment_bytes:
                attachment = html
                lines.append(f"\nThe output is attached: {os.path.basename(html)}.")
            else:
                lines.append(
                    f"\nThe output {os.path.basename(html)} ({size} bytes) is larger than this mail may carry; "
                    "open it from the job in JupyterLab."
                )
        message.set_content("\n".join(lines) + "\n")
        if attachment is not None:
            # The text body stays the first part of the multipart/mixed message.
            with open(attachment, "rb") as f:
                message.add_attachment(f.read(), maintype="text", subtype="html", filename=os.path.basename(attachment))
        return message

    def recipients(self) -> list[str]:
        """The job's own recipients when it gave some, else the configured ones."""
        return recipients(self.target) if self.target else list(self.to)

    def notify(self, event: dict[str, Any]) -> None:
        missing = self._missing(job_recipients=bool(self.target))
        if missing:
            raise NotifierError(f"the email notifier is not configured: set {', '.join(missing)}")
        username, password = secrets.get(USERNAME), secrets.get(PASSWORD)
        if self.credentials_secret and not (username and password):
            raise NotifierError(f"the SMTP credentials of Secret {self.credentials_secret!r} did not reach the pod")
        if username and self.security == "none":
            raise NotifierError("refusing to send SMTP credentials over an unencrypted connection")
        port = self.port or DEFAULT_PORTS[self.security]
        where = f"{self.host}:{port}"
        try:
            context = ssl.create_default_context(cafile=self.ca_bundle or None)
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=context)
                if username and password:
                    smtp.login(username, password)
                smtp.send_message(self.message(event))
        except smtplib.SMTPAuthenticationError as error:
            raise NotifierError(
                f"the SMTP server {where} refused the credentials of Secret {self.credentials_secret!r} "
                f"({error.smtp_code})"
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise NotifierError(f"the SMTP server {where} does not support what is configured: {error}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise NotifierError(f"could not send the notification through {where}: {error}") from None
