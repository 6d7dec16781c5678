"""The jupyter_server handlers under `{base_url}argo-scheduler/` (docs/http.md).

Authenticated as jupyter-scheduler's own handlers are; every answer is about
the scheduler's owner's records only (details.py reads through its
owner-scoped sessions), and an unknown id or another owner's is a 404 with
a JSON message. Loaded by the server extension (argo_scheduler's
`_load_jupyter_server_extension`) only when the server starts, so that
importing argo_scheduler stays light.
"""

from __future__ import annotations

import json

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.web import HTTPError, authenticated

from . import details

# The ids jupyter-scheduler's own routes take (uuid4 text).
_ID = r"(?P<record_id>\w+(?:-\w+)+)"


class _Handler(APIHandler):
    @property
    def scheduler(self):
        from .scheduler import ArgoScheduler

        scheduler = self.settings.get("scheduler")
        if not isinstance(scheduler, ArgoScheduler):
            raise HTTPError(
                404,
                "argo_scheduler is not this server's scheduler: set "
                'c.SchedulerApp.scheduler_class = "argo_scheduler.ArgoScheduler"',
            )
        return scheduler

    def write_error(self, status_code: int, **kwargs) -> None:
        # {"message": …} like jupyter-scheduler's errors, never a traceback.
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(error, "log_message", None) or self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message}))

    def answer(self, data: dict) -> None:
        self.set_header("Content-Type", "application/json")
        # Progress and logs change while the user looks: never from a cache.
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data))


class OptionsHandler(_Handler):
    @authenticated
    def get(self):
        self.answer(details.options(self.scheduler))


class JobDetailHandler(_Handler):
    @authenticated
    def get(self, record_id: str):
        try:
            log_bytes = details.clamp_log_bytes(self.get_query_argument("log_bytes", None))
        except ValueError:
            raise HTTPError(400, f"log_bytes must be a whole number of bytes, at most {details.MAX_LOG_BYTES}") from None
        try:
            self.answer(details.job(self.scheduler, record_id, log_bytes))
        except details.NotFound as e:
            raise HTTPError(404, str(e)) from None


class JobDefinitionDetailHandler(_Handler):
    @authenticated
    def get(self, record_id: str):
        try:
            self.answer(details.job_definition(self.scheduler, record_id))
        except details.NotFound as e:
            raise HTTPError(404, str(e)) from None


def handlers(base_url: str) -> list[tuple[str, type]]:
    def route(path: str) -> str:
        return url_path_join(base_url, "argo-scheduler", path)

    return [
        (route("options"), OptionsHandler),
        (route(f"jobs/{_ID}"), JobDetailHandler),
        (route(f"job-definitions/{_ID}"), JobDefinitionDetailHandler),
    ]


def load(serverapp) -> None:
    web_app = serverapp.web_app
    web_app.add_handlers(".*$", handlers(web_app.settings["base_url"]))
    serverapp.log.info("argo_scheduler: serving %sargo-scheduler/", web_app.settings["base_url"])
