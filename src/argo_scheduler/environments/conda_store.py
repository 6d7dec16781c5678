"""Environments from conda-store's REST API: what Nebari users build and use.

GET {url}/api/v1/environment/?page=N&size=M with a Bearer token returns
{"data": [{"name", "namespace": {"name"}, "current_build_id", "description"}],
"page", "size", "count"}; we follow the pages until `count` is reached.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from .model import Environment

PAGE_SIZE = 100
# A runaway server must not keep the UI's listing busy forever.
MAX_PAGES = 100


class CondaStoreError(RuntimeError):
    """conda-store could not be listed; the message says why, never the token."""


@dataclass(frozen=True)
class CondaStoreSource:
    url: str
    token: str | None
    namespaces: tuple[str, ...] = ()
    image: str | None = None
    env_path_template: str = "/home/conda/{namespace}/envs/{name}"
    kernel_name_template: str = "conda-env-{namespace}-{name}-py"
    timeout: float = 5.0

    def environments(self) -> list[Environment]:
        environments = []
        for entry in self._entries():
            namespace = (entry.get("namespace") or {}).get("name", "")
            name = entry.get("name", "")
            # No current build means nothing on disk for the pod to use yet.
            if not name or entry.get("current_build_id") is None:
                continue
            if self.namespaces and namespace not in self.namespaces:
                continue
            fields = {"namespace": namespace, "name": name}
            path = self.env_path_template.format(**fields)
            environments.append(
                Environment(
                    name=f"{namespace}/{name}",
                    label=f"{namespace}/{name}",
                    description=entry.get("description") or f"conda-store environment {namespace}/{name}",
                    source="conda-store",
                    image=self.image,
                    kernel_name=self.kernel_name_template.format(**fields),
                    details={"conda_env_path": path},
                )
            )
        return environments

    def _entries(self) -> list[dict]:
        entries: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            body = self._get("api/v1/environment/", {"page": page, "size": PAGE_SIZE})
            data = body.get("data") or []
            entries.extend(data)
            count = body.get("count")
            if not data or count is None or len(entries) >= count:
                break
        return entries

    def _get(self, path: str, query: dict) -> dict:
        url = urllib.parse.urljoin(self.url.rstrip("/") + "/", path) + "?" + urllib.parse.urlencode(query)
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            if e.code in (401, 403):
                raise CondaStoreError(
                    f"conda-store at {self.url} refused the token (HTTP {e.code}); "
                    "check conda_store_token_file or CONDA_STORE_TOKEN"
                ) from None
            raise CondaStoreError(f"conda-store at {self.url} answered HTTP {e.code}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise CondaStoreError(f"conda-store at {self.url} is unreachable: {reason}") from None
        except ValueError as e:
            raise CondaStoreError(f"conda-store at {self.url} sent no JSON: {e}") from None
        if not isinstance(body, dict):
            raise CondaStoreError(f"conda-store at {self.url} sent an unexpected answer")
        return body
