"""A fake Slack Web API on 127.0.0.1: the methods the slack notifier calls, as Slack answers them.

It checks what real Slack checks and the notifier could get wrong: the
bearer token on every API method; files.getUploadURLExternal's filename and
length; that the bytes POSTed to the upload URL it handed out match that
length; that files.completeUploadExternal names only uploaded file ids and a
channel *id* (Slack answers channel_not_found to a name there, while
chat.postMessage takes names). Every call is recorded in order, uploads
included, so a test can assert the real call sequence.

Slack answers HTTP 200 with {"ok": false, "error": …} for API errors.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    method: str  # "files.getUploadURLExternal", …, or "upload" for the POST to an upload URL
    params: dict[str, str]
    token: str | None
    body: bytes = b""


@dataclass
class FakeSlack:
    token: str
    # name -> id of the channels conversations.list reveals
    channels: dict[str, str] = field(default_factory=lambda: {"reports": "C07REPORTS", "general": "C01GENERAL"})
    # channels that exist but conversations.list does not show (private, without groups:read)
    unlisted: dict[str, str] = field(default_factory=dict)
    # method -> Slack error code to answer with instead of doing the work
    errors: dict[str, str] = field(default_factory=dict)
    page_size: int = 1  # conversations.list pages, to exercise the cursor

    def __post_init__(self) -> None:
        self.calls: list[Call] = []
        self.uploads: dict[str, dict[str, Any]] = {}  # file_id -> {"filename", "length", "data"}
        self.shared: list[dict[str, Any]] = []  # completed uploads: files, channel_id, initial_comment
        self.messages: list[dict[str, str]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/api/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeSlack":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    def wait_for(self, *methods: str, timeout: float = 60) -> None:
        """Until Slack was called with one of `methods`: a job's notifiers run after its record is final."""
        deadline = time.monotonic() + timeout
        while not set(methods) & set(self.methods()):
            assert time.monotonic() < deadline, f"none of {methods} within {timeout} s; calls: {self.methods()}"
            time.sleep(0.1)

    # ---- the API ----------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        params = dict(parse_qsl(url.query))
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode()))
        elif content_type.startswith("application/json"):
            params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(body).items()})
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None

        if url.path.startswith("/upload/v1/"):
            with self._lock:
                self.calls.append(Call("upload", {}, token, body))
                upload = self.uploads.get(url.path.rsplit("/", 1)[1])
                if upload is None or upload["length"] != len(body):
                    return self._reply(request, 400, text="bad upload")
                upload["data"] = body
            return self._reply(request, 200, text=f"OK - {len(body)}")
        if not url.path.startswith("/api/"):
            return self._reply(request, 404, text="not found")

        method = url.path[len("/api/"):]
        with self._lock:
            self.calls.append(Call(method, params, token, body))
            if token != self.token:
                return self._reply(request, 200, {"ok": False, "error": "invalid_auth"})
            if method in self.errors:
                return self._reply(request, 200, {"ok": False, "error": self.errors[method]})
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return self._reply(request, 200, {"ok": False, "error": "unknown_method"})
            answer = handler(params)
        self._reply(request, 200, answer)

    def _files_getUploadURLExternal(self, params: dict[str, str]) -> dict:
        if not params.get("filename") or not params.get("length", "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = "F" + uuid.uuid4().hex[:10].upper()
        self.uploads[file_id] = {"filename": params["filename"], "length": int(params["length"]), "data": None}
        return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/v1/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, params: dict[str, str]) -> dict:
        files = json.loads(params.get("files") or "[]")
        if not files or any(self.uploads.get(f.get("id"), {}).get("data") is None for f in files):
            return {"ok": False, "error": "file_not_found"}
        channel_id = params.get("channel_id")
        if channel_id and channel_id not in {**self.channels, **self.unlisted}.values():
            return {"ok": False, "error": "channel_not_found"}
        self.shared.append({"files": files, "channel_id": channel_id, "initial_comment": params.get("initial_comment")})
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _chat_postMessage(self, params: dict[str, str]) -> dict:
        channel = params.get("channel", "")
        known = {**self.channels, **self.unlisted}
        channel_id = known.get(channel.lstrip("#")) or (channel if channel in known.values() else None)
        if channel_id is None:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text"):
            return {"ok": False, "error": "no_text"}
        self.messages.append({"channel": channel, "text": params["text"]})
        return {"ok": True, "channel": channel_id, "ts": "1700000000.000100"}

    def _conversations_list(self, params: dict[str, str]) -> dict:
        everything = sorted(self.channels.items())
        start = int(params.get("cursor") or 0)
        page = everything[start:start + self.page_size]
        following = start + self.page_size
        return {
            "ok": True,
            "channels": [{"id": cid, "name": name} for name, cid in page],
            "response_metadata": {"next_cursor": str(following) if following < len(everything) else ""},
        }

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, data: dict | None = None, text: str = "") -> None:
        payload = json.dumps(data).encode() if data is not None else text.encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8" if data is not None else "text/plain")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
