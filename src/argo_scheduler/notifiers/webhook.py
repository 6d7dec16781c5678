"""The `webhook` notifier: one JSON POST per finished run.

The body is what incoming-webhook receivers take — `text` (Slack-style,
Mattermost, Teams connectors) and `content` (Discord) hold a human summary
— plus every field of the event (argo_scheduler.runtime.events) at the top
level, for automations. The event holds no secret.

A webhook URL usually is a secret (its path is the credential), so it can
come from a Kubernetes Secret (`url_secret`); it is never logged: messages
name only its scheme and host. Connection errors, timeouts, 429 and 5xx are
retried with exponential backoff, `retries` times at most; other answers are
final.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from traitlets import Float, Integer, Unicode

from .._version import __version__
from ..runtime import secrets
from .base import Notifier, NotifierError
from .secrets import notifier_secret_env
from .summary import summary

if TYPE_CHECKING:
    from kubernetes.client import V1EnvVar

    from ..spec import RunSpec

URL = "WEBHOOK_URL"
# Discord refuses `content` longer than this.
DISCORD_CONTENT_MAX = 2000
_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class WebhookNotifier(Notifier):
    """POSTs a JSON summary of the finished run to a URL."""

    url = Unicode(
        "",
        config=True,
        help="""URL to POST to, when it is not a secret (an internal service).
        Webhook URLs that carry their own credential belong in url_secret.
        Default: "" (url_secret must be set).

            c.WebhookNotifier.url = "http://notebook-events.internal/hooks/runs"
        """,
    )

    url_secret = Unicode(
        "",
        config=True,
        help="""Name of the Kubernetes Secret (in the workflows' namespace)
        holding the webhook URL; the pod reads it by reference. Takes
        precedence over url. Default: "" (use url).

            c.WebhookNotifier.url_secret = "teams-webhook"
        """,
    )

    url_secret_key = Unicode(
        "url",
        config=True,
        help="""Key of url_secret's Secret that holds the URL. Default: "url".

            c.WebhookNotifier.url_secret_key = "url"
        """,
    )

    retries = Integer(
        3,
        config=True,
        help="""How many times a POST is retried after a connection error, a
        timeout, HTTP 429 or 5xx, waiting backoff_factor * 2**n seconds before
        retry n. All attempts together stay within the notifier's timeout.
        Default: 3.

            c.WebhookNotifier.retries = 3
        """,
    )

    backoff_factor = Float(
        1.0,
        config=True,
        help="""Seconds before the first retry; each further retry waits twice as long. Default: 1.0.

            c.WebhookNotifier.backoff_factor = 1.0
        """,
    )

    request_timeout = Float(
        10.0,
        config=True,
        help="""Seconds each POST may take to connect and answer. Default: 10.0.

            c.WebhookNotifier.request_timeout = 10.0
        """,
    )

    # ---- server half ----------------------------------------------------

    def pod_env(self, job: "RunSpec") -> list["V1EnvVar"]:
        if not (self.url or self.url_secret):
            raise ValueError(
                "the webhook notifier has no URL: set c.WebhookNotifier.url_secret (a Secret holding it) "
                "or c.WebhookNotifier.url"
            )
        env = super().pod_env(job)
        if self.url_secret:
            env.append(notifier_secret_env(URL, self.url_secret, self.url_secret_key))
        return env

    # ---- pod half -------------------------------------------------------

    def payload(self, event: dict[str, Any]) -> dict[str, Any]:
        text = summary(event)
        return {**event, "text": text, "content": text[:DISCORD_CONTENT_MAX]}

    def notify(self, event: dict[str, Any]) -> None:
        url = secrets.get(URL) if self.url_secret else self.url
        if not url:
            raise NotifierError(
                f"the webhook URL is missing: Secret {self.url_secret!r} did not reach the pod"
                if self.url_secret
                else "the webhook notifier has no URL: set c.WebhookNotifier.url or url_secret"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NotifierError("the webhook URL must be an http:// or https:// URL")
        # Only where it goes: the path and query of a webhook URL are its credential.
        where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        body = json.dumps(self.payload(event), ensure_ascii=False).encode("utf-8")
        attempts = max(0, self.retries) + 1
        deadline = time.monotonic() + self.timeout
        reason = ""
        for attempt in range(attempts):
            if attempt:
                pause = self.backoff_factor * 2 ** (attempt - 1)
                if time.monotonic() + pause >= deadline:
                    break
                time.sleep(pause)
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "User-Agent": f"argo-scheduler/{__version__}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.request_timeout) as response:
                    response.read()
                return
            except urllib.error.HTTPError as error:
                if error.code not in _RETRIED_STATUSES:
                    raise NotifierError(f"the webhook at {where} refused the notification: HTTP {error.code}") from None
                reason = f"HTTP {error.code}"
            except (urllib.error.URLError, OSError) as error:
                reason = str(getattr(error, "reason", error))
            self.log.info("webhook at %s: attempt %d of %d failed (%s)", where, attempt + 1, attempts, reason)
        raise NotifierError(f"the webhook at {where} did not accept the notification after {attempt + 1} attempts: {reason}")
