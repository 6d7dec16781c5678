"""Text about a run (its log, its status message) as it may be shown: without a secret in it.

Secrets reach a job only by reference and the notebook never sees them
(runtime/secrets.py), so a run's log should hold none; this is the belt to
those braces for whatever is shown to a browser or a terminal. It replaces:

- every value the caller knows to be secret (the database URL's password,
  the values of the local engine's Secrets), wherever it appears;
- the password of any URL written `scheme://user:password@host`, as
  db.display_url masks the database's;
- Slack tokens (`xox…-…`) and bearer tokens in `Authorization` headers.
"""

from __future__ import annotations

import re
from typing import Iterable

MASK = "[secret]"
# Shorter values would mask ordinary words and numbers all over a log.
MIN_SECRET_LENGTH = 6

_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s/]+)(?=@)")
_SLACK_TOKEN = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]{6,}")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret in it replaced by MASK."""
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    text = _SLACK_TOKEN.sub(MASK, text)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)
