"""The `slack` notifier: the run's HTML output (or its error) posted to a Slack channel.

Uses slack-sdk's `files_upload_v2` — files.getUploadURLExternal, a POST of
the bytes to the URL it returns, files.completeUploadExternal — because
Slack retired files.upload, which argo-jupyter-scheduler used. The summary
(job, status, duration, why it failed) is the upload's initial comment; when
nothing can be attached, it is a chat.postMessage.

The bot token comes from a Kubernetes Secret (`token_secret`), or, for
argo-jupyter-scheduler users, from a SLACK_TOKEN job parameter, which the
scheduler turns into a per-job Secret before anything is stored. The channel
comes from the job's `notify_slack_channel` run option, else its
SLACK_CHANNEL parameter, else `channel`; `allowed_channels` restricts the
first two.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from traitlets import List, Unicode

from ..runtime import secrets
from .base import Notifier, NotifierError
from .secrets import notifier_secret_env
from .summary import error_text, html_output, summary, title

if TYPE_CHECKING:
    from kubernetes.client import V1EnvVar
    from slack_sdk import WebClient

    from ..spec import RunSpec

TOKEN = "SLACK_TOKEN"
CHANNEL = "SLACK_CHANNEL"
# Channel, private channel (G…) and conversation ids; anything else is a name.
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
# Slack's rule for channel names: lowercase letters, digits, hyphens and underscores, at most 80.
_CHANNEL_NAME = re.compile(r"#?[a-z0-9][a-z0-9_-]{0,79}")
TARGET_KEY = "notify_slack_channel"


def channel_form(channel: str) -> str:
    """How two spellings of one channel compare equal: an id as is, a name as "#name"."""
    channel = channel.strip()
    if _CHANNEL_ID.match(channel):
        return channel
    return "#" + channel.lstrip("#").lower()


class SlackNotifier(Notifier):
    """Posts the run's HTML output, or its error, to a Slack channel."""

    secret_parameters = (TOKEN,)
    notifier_parameters = (CHANNEL,)
    target_key = TARGET_KEY
    target_label = "Slack channel"
    target_placeholder = "#channel"
    target_parameter = CHANNEL

    token_secret = Unicode(
        "",
        config=True,
        help="""Name of the Kubernetes Secret (in the workflows' namespace)
        holding the Slack bot token (xoxb-…, scopes chat:write, files:write,
        and channels:read to post to a channel given by name). The pod reads it
        by reference; the token never enters a manifest. Default: "" (each job
        must then have a SLACK_TOKEN parameter, which is stored as a per-job
        Secret, never in the database).

            c.SlackNotifier.token_secret = "slack-bot"
        """,
    )

    token_secret_key = Unicode(
        "token",
        config=True,
        help="""Key of token_secret's Secret that holds the token. Default: "token".

            c.SlackNotifier.token_secret_key = "token"
        """,
    )

    channel = Unicode(
        "",
        config=True,
        help="""Channel to post to, by id ("C0123ABCD") or name ("#reports"; a
        name is looked up with conversations.list, which needs the
        channels:read scope, and groups:read for a private channel). A job's
        SLACK_CHANNEL parameter takes precedence. Default: "" (each job must
        then have a SLACK_CHANNEL parameter).

            c.SlackNotifier.channel = "#notebook-reports"
        """,
    )

    allowed_channels = List(
        Unicode(),
        config=True,
        help="""The only channels a job may pick (its notify_slack_channel run
        option or SLACK_CHANNEL parameter), by name ("#data") or id; a job
        naming another is refused when it is submitted. The configured
        `channel` is always allowed. Default: [] (any channel).

            c.SlackNotifier.allowed_channels = ["#data", "#ops-alerts"]
        """,
    )

    base_url = Unicode(
        # slack_sdk.WebClient.BASE_URL, written out so that the server does not import slack-sdk.
        "https://slack.com/api/",
        config=True,
        help="""Slack Web API base URL, for a proxy or a test server. Default:
        "https://slack.com/api/" (slack-sdk's).

            c.SlackNotifier.base_url = "https://slack-proxy.example.com/api/"
        """,
    )

    # ---- server half ----------------------------------------------------

    def check_target(self, value: str) -> str:
        if not (_CHANNEL_ID.fullmatch(value) or _CHANNEL_NAME.fullmatch(value.lower())):
            raise ValueError(
                f"{value!r} is not a Slack channel: give a name like #data (lowercase letters, digits, - and _) "
                "or a channel id like C0123ABCD"
            )
        channel = channel_form(value)
        allowed = self.target_allowed()
        if allowed is not None and channel not in {channel_form(c) for c in allowed}:
            raise ValueError(f"{value} is not a channel allowed here; allowed: {', '.join(allowed)}")
        return channel

    def target_default(self) -> str | None:
        return self.channel.strip() or None

    def target_allowed(self) -> list[str] | None:
        if not self.allowed_channels:
            return None
        channels = [channel_form(c) for c in self.allowed_channels]
        if self.channel.strip():
            channels.append(channel_form(self.channel))
        return list(dict.fromkeys(channels))

    def pod_env(self, job: "RunSpec") -> list["V1EnvVar"]:
        env = super().pod_env(job)
        if self.token_secret:
            env.append(notifier_secret_env(TOKEN, self.token_secret, self.token_secret_key))
        return env

    # ---- pod half -------------------------------------------------------

    def notify(self, event: dict[str, Any]) -> None:
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackApiError, SlackRequestError

        # The job's own token first: whoever submitted it chose it for this job.
        token = secrets.parameter(TOKEN) or secrets.get(TOKEN)
        if not token:
            raise NotifierError(
                "no Slack token: set c.SlackNotifier.token_secret to a Kubernetes Secret holding the bot "
                "token, or give the job a SLACK_TOKEN parameter"
            )
        channel = str(self.target or (event.get("parameters") or {}).get(CHANNEL) or self.channel).strip()
        if not channel:
            raise NotifierError(
                "no Slack channel: set c.SlackNotifier.channel, or give the job a Slack channel "
                "(notify_slack_channel, or a SLACK_CHANNEL parameter)"
            )
        client = WebClient(token=token, base_url=self.base_url, timeout=max(1, int(self.timeout)))
        text = summary(event)
        try:
            if self._upload(client, channel, event, text):
                return
        except SlackApiError as error:
            # Posting the summary still tells the user; the reason is Slack's error code.
            reason = error.response.get("error", "unknown error")
            self.log.warning("Slack: the output could not be attached in %s (%s); posting the summary", channel, reason)
            text += f"\n(The output could not be attached: Slack said {reason}.)"
        except (LookupError, SlackRequestError) as error:
            # No such channel, or the upload URL refused the bytes.
            self.log.warning("Slack: %s; posting the summary", error)
            text += f"\n(The output could not be attached: {error}.)"
        try:
            client.chat_postMessage(channel=channel, text=text)
        except SlackApiError as error:
            raise NotifierError(
                f"Slack refused the message to {channel}: {error.response.get('error', 'unknown error')}"
            ) from None

    def _upload(self, client: "WebClient", channel: str, event: dict[str, Any], text: str) -> bool:
        """Upload the HTML output, else a failure's error text; False when there is nothing to attach."""
        html = html_output(event)
        if html is not None:
            upload: dict[str, Any] = {"file": html, "filename": os.path.basename(html)}
        else:
            error = error_text(event)
            if error is None:
                return False
            stem = os.path.splitext(event.get("input_filename") or "job")[0]
            upload = {"content": error, "filename": f"{stem}-error.txt"}
        client.files_upload_v2(
            channel=self._channel_id(client, channel), title=title(event), initial_comment=text, **upload
        )
        return True

    @staticmethod
    def _channel_id(client: "WebClient", channel: str) -> str:
        """The id files.completeUploadExternal needs (it takes no names, unlike chat.postMessage)."""
        if _CHANNEL_ID.match(channel):
            return channel
        name = channel.lstrip("#")
        cursor = None
        while True:
            page = client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=1000, cursor=cursor
            )
            for conversation in page.get("channels") or []:
                if conversation.get("name") == name:
                    return conversation["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise LookupError(f"no channel named #{name} is visible to the Slack app")
