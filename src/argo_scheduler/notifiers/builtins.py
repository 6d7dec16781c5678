"""The built-in notifiers, registered through the entry point every plugin uses."""

from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def argo_scheduler_notifiers() -> dict[str, type]:
    # Imported here: discovery must not load every notifier's dependencies.
    from .email import EmailNotifier
    from .none import NoneNotifier
    from .slack import SlackNotifier
    from .webhook import WebhookNotifier

    return {"email": EmailNotifier, "none": NoneNotifier, "slack": SlackNotifier, "webhook": WebhookNotifier}
