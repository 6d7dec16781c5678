"""EmailNotifier against a local SMTP server (aiosmtpd): STARTTLS and SMTPS with a test CA, authentication, attachments."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from kubernetes.client import ApiClient
from notifier_helpers import event
from traitlets.config import Config

from argo_scheduler.notifiers.base import NotifierError
from argo_scheduler.notifiers.email import EmailNotifier
from argo_scheduler.spec import RunSpec

# aiosmtpd says it of SMTPS too, where the whole connection is TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

USER, PASSWORD = "jobs@example.com", "smtp-s3cret-pw"
CREDENTIALS = {"ARGO_SCHEDULER_SECRET_EMAIL_USERNAME": USER, "ARGO_SCHEDULER_SECRET_EMAIL_PASSWORD": PASSWORD}
HTML = "<html><body><h1>Report</h1></body></html>"


@dataclass
class Mailbox:
    port: int
    ca_file: str
    received: list[dict[str, Any]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append({
            "from": envelope.mail_from, "to": list(envelope.rcpt_tos), "login": session.auth_data.login if session.authenticated else None,
            # STARTTLS sets session.ssl; an SMTPS transport is TLS from the start.
            "tls": session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
            "message": email.message_from_bytes(envelope.original_content, policy=email.policy.default),
        })
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> tuple[ssl.SSLContext, str]:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server, str(ca_file)


@pytest.fixture(params=["starttls", "ssl"])
def smtp(request, tls) -> Iterator[tuple[str, Mailbox]]:
    """An SMTP server requiring authentication over TLS: STARTTLS on a plain port, or SMTPS."""
    context, ca_file = tls
    box = Mailbox(port=_free_port(), ca_file=ca_file)
    # aiosmtpd's auth_require_tls looks for STARTTLS only; an SMTPS connection is TLS from its first byte.
    tls_options = (
        {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        if request.param == "starttls"
        else {"ssl_context": context, "auth_require_tls": False}
    )
    controller = Controller(
        box, hostname="127.0.0.1", port=box.port, authenticator=_authenticate, auth_required=True,
        server_hostname="127.0.0.1", **tls_options,
    )
    controller.start()
    yield request.param, box
    controller.stop()


def mailer(box: Mailbox, security: str, **traits) -> EmailNotifier:
    settings = dict(host="127.0.0.1", port=box.port, security=security, ca_bundle=box.ca_file,
                    sender="Notebook jobs <jobs@example.com>", to=["ana@example.com", "team@example.com"],
                    credentials_secret="smtp", timeout=10)
    return EmailNotifier(config=Config({"EmailNotifier": {**settings, **traits}}))


def test_a_run_is_mailed_over_tls_with_authentication_and_its_html_attached(smtp, pod_secrets, tmp_path, caplog):
    security, box = smtp
    pod_secrets(CREDENTIALS)
    caplog.set_level(logging.DEBUG)
    # WHEN a failed run with an HTML output is notified
    mailer(box, security).notify(event(tmp_path, status="FAILED", html=HTML))
    # THEN one mail reached both recipients, over TLS, after logging in
    [mail] = box.received
    assert mail["tls"] and mail["login"] == USER.encode()
    assert mail["to"] == ["ana@example.com", "team@example.com"]
    message = mail["message"]
    # AND the subject says which job and how it ended; the body what, how long and why
    assert message["Subject"] == "report FAILED"
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("report — FAILED after 3 min 4 s (notebook report.ipynb)\n"
                           "Why: ZeroDivisionError: division by zero (in cell In [3])\n")
    assert "Job id: 5b0f3c0e-0000-4000-8000-000000000001" in body and "Started: 2026-01-05 08:00:00 UTC" in body
    # AND the HTML output is attached
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "report-2026-01-05-09-00-00-AM.html"
    assert attachment.get_content() == HTML
    # AND the password is in no log line
    assert PASSWORD not in caplog.text


def test_an_output_over_the_limit_is_named_not_attached(smtp, pod_secrets, tmp_path):
    security, box = smtp
    pod_secrets(CREDENTIALS)
    mailer(box, security, max_attachment_bytes=10).notify(event(tmp_path, html=HTML))
    message = box.received[0]["message"]
    assert list(message.iter_attachments()) == []
    assert f"({len(HTML)} bytes) is larger than this mail may carry" in message.get_body(("plain",)).get_content()


def test_wrong_credentials_are_a_clear_error_without_the_password(smtp, pod_secrets, tmp_path):
    security, box = smtp
    pod_secrets({**CREDENTIALS, "ARGO_SCHEDULER_SECRET_EMAIL_PASSWORD": "wrong-pw"})
    with pytest.raises(NotifierError, match="refused the credentials of Secret 'smtp'") as raised:
        mailer(box, security).notify(event(tmp_path))
    assert "wrong-pw" not in str(raised.value) and box.received == []


def test_an_untrusted_certificate_is_refused(smtp, pod_secrets, tmp_path):
    # GIVEN the system's CAs only, which do not know the test CA
    security, box = smtp
    pod_secrets(CREDENTIALS)
    with pytest.raises(NotifierError, match="could not send the notification through 127.0.0.1:.*CERTIFICATE_VERIFY_FAILED"):
        mailer(box, security, ca_bundle="").notify(event(tmp_path))
    assert box.received == []


def test_the_server_half_checks_settings_and_references_the_secret():
    spec = RunSpec(name="r", input_filename="r.ipynb", input_path="/s/r.ipynb", staging_path="/s", job_id="j-1")
    with pytest.raises(ValueError, match="set c.EmailNotifier.host, c.EmailNotifier.sender, c.EmailNotifier.to"):
        EmailNotifier().pod_env(spec)
    plain = EmailNotifier(host="relay", sender="a@b", to=["c@d"], security="none", credentials_secret="smtp")
    with pytest.raises(ValueError, match="unencrypted"):
        plain.pod_env(spec)
    env = ApiClient().sanitize_for_serialization(
        EmailNotifier(host="smtp", sender="a@b", to=["c@d"], credentials_secret="smtp", username_key="user").pod_env(spec)
    )
    assert env == [
        {"name": "ARGO_SCHEDULER_SECRET_EMAIL_USERNAME", "valueFrom": {"secretKeyRef": {"name": "smtp", "key": "user"}}},
        {"name": "ARGO_SCHEDULER_SECRET_EMAIL_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "smtp", "key": "password"}}},
    ]


def test_the_pod_half_mails_a_jobs_own_recipients_on_the_events_it_chose(smtp, pod_secrets, tmp_path):
    from argo_scheduler.runtime.notifying import pod_notifiers

    security, box = smtp
    pod_secrets(CREDENTIALS)
    config = dict(host="127.0.0.1", port=box.port, security=security, ca_bundle=box.ca_file, sender="jobs@example.com",
                  to=["team@example.com"], credentials_secret="smtp", timeout=10)
    # GIVEN a run spec whose email entry carries the job's recipients and events, as the server renders it
    spec = RunSpec(name="report", input_filename="report.ipynb", input_path="/x", staging_path=str(tmp_path),
                   notifiers=[{"name": "email", "config": {**config, "events": ["failure"]},
                               "target": "ana@example.com, bo@example.com"}])
    [notify] = pod_notifiers(spec)
    # WHEN the run completes THEN nobody is mailed: the job asked for failures only
    notify(event(tmp_path, status="COMPLETED"))
    assert box.received == []
    # WHEN it fails THEN the job's recipients are mailed, not the configured ones
    notify(event(tmp_path, status="FAILED"))
    [mail] = box.received
    assert mail["to"] == ["ana@example.com", "bo@example.com"]
    assert mail["message"]["To"] == "ana@example.com, bo@example.com"
