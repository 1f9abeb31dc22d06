"""A client for Spaceport's HTTP API, standard library only: submit a job, follow its events
(Server-Sent Events), pick a stream up again after a dropped connection without missing or
repeating an event, cancel. See docs/python.md.

    client = Client("http://localhost:8000", token="spk_...")
    job = client.submit("text-generation", prompt="It is a truth")
    for event in client.events(job):
        if event["type"] == "token":
            print(event["text"], end="", flush=True)
    print(client.result(job))
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Iterator, Optional

#: Event types after which a job's stream ends (docs/protocol.md).
FINAL_EVENTS = ("result", "failed", "cancelled", "timed_out")


class SpaceportError(Exception):
    """The gateway refused a request, or a job ended without a result: `code` is one of
    docs/errors.md's codes (or the final event's type), `status` the HTTP status when there was one."""

    def __init__(self, code: str, message: str, status: Optional[int] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def parse_sse(lines: Iterator[str]) -> Iterator[dict]:
    """Server-Sent Events from decoded lines: one dict per event with `id`, `event` and `data`
    (comments and fields we do not use are skipped; a `data` spread over lines is joined)."""
    event: dict = {}
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line == "":
            if data:
                yield {"id": event.get("id"), "event": event.get("event", "message"), "data": "\n".join(data)}
            event, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name in ("id", "event"):
            event[name] = value


class Client:
    """One gateway. `token`: an API key (or a user's or the admin token); none for public spaces."""

    def __init__(self, host: str, token: Optional[str] = None, timeout: float = 30.0) -> None:
        self.host = host.rstrip("/")
        self.token = token
        self.timeout = timeout

    def submit(self, space: str, prompt: Optional[str] = None, options: Optional[dict] = None, files: Optional[list] = None, idempotency_key: Optional[str] = None, retries: int = 3, priority: Optional[int] = None, not_before: Optional[str] = None, webhook: Optional[dict] = None) -> str:
        """Queues a job and returns its id. `files`: (name, mime, bytes) tuples, or blob ids
        from `upload`. The submit carries an idempotency key (made up when not given), so when the
        connection fails before the answer it is sent again, up to `retries` times, and the gateway
        answers with the job the first one made, if it did: never two jobs. `priority`: -1000..1000,
        higher first, up to what the token may ask for; `not_before`: an ISO 8601 time before which the
        job does not run, at most a day ahead (docs/queue.md); `webhook`: {"url": ..., "events": [...]}
        where the gateway POSTs the job's start and end, signed (docs/webhooks.md)."""
        key = idempotency_key or uuid.uuid4().hex
        body: dict[str, Any] = {"space": space}
        if prompt is not None:
            body["prompt"] = prompt
        if options:
            body["options"] = options
        if priority is not None:
            body["priority"] = priority
        if not_before is not None:
            body["not_before"] = not_before
        if webhook is not None:
            body["webhook"] = webhook
        if files:
            body["files"] = [{"blob": f} if isinstance(f, str) else {"name": f[0], "mime": f[1], "data": base64.b64encode(f[2]).decode()} for f in files]
        for attempt in range(retries + 1):
            try:
                return self._json("POST", "/v1/jobs", body, headers={"idempotency-key": key})["job"]
            except (OSError, urllib.error.URLError) as err:
                if isinstance(err, urllib.error.HTTPError) or attempt == retries:
                    raise
                time.sleep(min(0.25 * 2**attempt, 5.0))
        raise AssertionError("unreachable")

    def upload(self, data: bytes, name: str, mime: str) -> str:
        """Stores bytes as a blob (POST /v1/blobs) and returns its id, for `submit(files=[id])`."""
        path = "/v1/blobs?" + urllib.parse.urlencode({"name": name})
        return self._json("POST", path, data, content_type=mime)["id"]

    def job(self, job_id: str) -> dict:
        """The job as the gateway has it now: state, attempt, result, error, times."""
        return self._json("GET", f"/v1/jobs/{urllib.parse.quote(job_id)}")

    def cancel(self, job_id: str) -> dict:
        """Asks for a cancel; the stream then ends with a `cancelled` event."""
        return self._json("POST", f"/v1/jobs/{urllib.parse.quote(job_id)}/cancel")

    def events(self, job_id: str, after: Optional[str] = None, retries: int = 10) -> Iterator[dict]:
        """Every event of the job after `after` (an SSE id this gave you as `event["_id"]`, or none
        for all), in order, ending after the final one. A dropped connection is picked up where it
        was (Last-Event-ID), up to `retries` times in a row: each event arrives once. When the
        gateway cannot give exactly what followed (the job was requeued, or a restart lost events),
        a `{"type": "resume", "recovered": False}` event comes first and then the current attempt
        from its start."""
        last = after
        failures = 0
        while True:
            try:
                for sse in self._stream(job_id, last):
                    failures = 0
                    event = json.loads(sse["data"])
                    if sse["event"] == "resume":
                        event = {"type": "resume", **event}
                    if sse["id"]:
                        last = sse["id"]
                        event["_id"] = sse["id"]
                    yield event
                    if event.get("type") in FINAL_EVENTS:
                        return
            except (OSError, urllib.error.URLError) as err:
                if isinstance(err, urllib.error.HTTPError) and err.code < 500:
                    raise _refusal(err) from None
                failures += 1
                if failures > retries:
                    raise
                time.sleep(min(0.25 * 2**failures, 5.0))
                continue
            failures += 1  # the stream ended before a final event: the gateway went away mid-way
            if failures > retries:
                raise SpaceportError("stream_ended", f"the event stream of {job_id} ended before the job did")

    def tokens(self, job_id: str) -> Iterator[str]:
        """Just the text as it streams."""
        for event in self.events(job_id):
            if event["type"] == "token":
                yield event["text"]

    def result(self, job_id: str) -> dict:
        """Waits for the job's end: `{"data", "files"}`, or raises SpaceportError with the code of a
        failure (`worker_error`, `worker_lost`), or `cancelled` / `timed_out`."""
        for event in self.events(job_id):
            if event["type"] == "result":
                return {"data": event.get("data"), "files": event.get("files", [])}
            if event["type"] in FINAL_EVENTS:
                raise SpaceportError(event.get("code", event["type"]), event.get("message", event["type"]))
        raise SpaceportError("stream_ended", f"no final event for {job_id}")

    def _headers(self, extra: Optional[dict] = None) -> dict:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def _json(self, method: str, path: str, body: Any = None, content_type: str = "application/json", headers: Optional[dict] = None) -> dict:
        data = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
        extra = {**({"content-type": content_type} if data is not None else {}), **(headers or {})}
        request = urllib.request.Request(self.host + path, data=data, method=method, headers=self._headers(extra))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            raise _refusal(err) from None

    def _stream(self, job_id: str, last: Optional[str]) -> Iterator[dict]:
        headers = self._headers({"accept": "text/event-stream", **({"last-event-id": last} if last else {})})
        request = urllib.request.Request(f"{self.host}/v1/jobs/{urllib.parse.quote(job_id)}/events", headers=headers)
        # No read timeout: a job may wait in the queue for a long time without events.
        with urllib.request.urlopen(request) as response:
            yield from parse_sse(line.decode("utf-8") for line in response)


def _refusal(err: urllib.error.HTTPError) -> SpaceportError:
    """The gateway's `{"error": {"code", "message"}}` (docs/errors.md) as an exception."""
    try:
        error = json.loads(err.read() or b"{}").get("error") or {}
    except ValueError:
        error = {}
    return SpaceportError(error.get("code", "http_error"), error.get("message", f"HTTP {err.code}"), err.code)
