"""The `email` notifier: a mail per finished run, over SMTP, with the HTML output attached.

Subject "report COMPLETED", a plain-text body with the summary, the job's
id and times, and the HTML output attached when it exists and is at most
`max_attachment_bytes` (else the body says where to find it). SMTP
credentials come from a Kubernetes Secret by reference, and are only ever
sent over TLS (STARTTLS or SMTPS).
"""

from __future__ import annotations

import os
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


class EmailNotifier(Notifier):
    """Mails a summary of the finished run, with its HTML output attached."""

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

    def _missing(self) -> list[str]:
        return [f"c.EmailNotifier.{name}" for name in ("host", "sender", "to") if not getattr(self, name)]

    def pod_env(self, job: "RunSpec") -> list["V1EnvVar"]:
        missing = self._missing()
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
        message["To"] = ", ".join(self.to)
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

    def notify(self, event: dict[str, Any]) -> None:
        missing = self._missing()
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
