"""A remote app for Spaceport's WebSocket Spaces dialect (docs/dialects.md#websocket-spaces).

Run it on the machine that has the model; it dials out to the gateway, so no port needs opening:

    python python/example_websocket_app.py --host https://your-gateway --spaces MySpace

It registers into the space by name, receives `inference_request`s, answers each with an
`inference_result` (or `inference_error`), and works through them one at a time in arrival order.
The work is `analyze_prompt` below: real but small text statistics. Put your model there.
Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spaceport_worker.websocket import ConnectionClosed, HandshakeError, WebSocket  # noqa: E402

PATH = "/websocket-spaces"


def log(level: str, text: str) -> None:
    print(f"[{level}] {text}", flush=True)


def analyze_prompt(request: dict) -> dict:
    """The inference step. Replace the body with a call to your model, e.g.

        output = model.generate(prompt)
        return {"text_output": output}

    Anything JSON-serialisable can be returned; it is what the user sees as the result.
    """
    prompt = request.get("payload", {}).get("prompt", "")
    words = re.findall(r"[\w']+", prompt.lower())
    common = collections.Counter(words).most_common(3)
    summary = f"{len(words)} words, {len(prompt)} characters"
    if common:
        summary += "; most frequent: " + ", ".join(f"{w} ({n})" for w, n in common)
    return {"text_output": summary, "word_count": len(words), "top_words": [w for w, _ in common]}


class WebSocketApp:
    """One connection to one space: register, then answer requests sequentially."""

    def __init__(self, host: str, space_name: str, token: str | None = None) -> None:
        self.host = host.rstrip("/")
        self.space_name = space_name
        self.token = token
        self.queue: asyncio.Queue[dict] = asyncio.Queue()
        self.cancelled: set[str] = set()

    @property
    def url(self) -> str:
        base = "ws" + self.host[4:] if self.host.startswith("http") else self.host
        return base + PATH

    async def connect(self) -> None:
        """Connects and serves; reconnects after a lost connection; returns when registration is refused."""
        log("INFO", "Initializing connection...")
        log("INFO", f"Host: {self.host}")
        log("INFO", f"Space name: {self.space_name}")
        delay = 1.0
        while True:
            try:
                log("INFO", f"Connecting to {self.url}...")
                ws = await WebSocket.connect(self.url)
                log("SUCCESS", "WebSocket connection established")
                delay = 1.0
                if not await self.serve(ws):
                    return
            except (ConnectionClosed, HandshakeError, OSError) as err:
                log("WARN", f"Connection lost ({err}); reconnecting in {delay:.0f} s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def serve(self, ws: WebSocket) -> bool:
        registration = {"type": "register", "space_name": self.space_name}
        if self.token:
            registration["token"] = self.token
        await ws.send_text(json.dumps(registration))
        log("INFO", f"Sent registration for space: {self.space_name}")
        processor: asyncio.Task | None = None
        try:
            while True:
                msg = json.loads((await ws.recv()).text or "{}")
                kind = msg.get("type")
                if kind == "registered":
                    log("SUCCESS", "Registration successful!")
                    log("INFO", f"Connection ID: {msg['connection_id']}")
                    log("INFO", f"Space ID: {msg['space_id']}")
                    log("INFO", f'Successfully connected to space "{msg["space_name"]}"')
                    processor = asyncio.create_task(self.process_requests(ws))
                    log("INFO", "Request processor started")
                elif kind == "registration_failed":
                    log("ERROR", f"Registration failed: {msg.get('error')}")
                    return False
                elif kind == "inference_request":
                    log("INFO", f"Request {msg['request_id']} from {msg.get('username')} queued ({self.queue.qsize() + 1} waiting)")
                    await self.queue.put(msg)
                elif kind == "inference_cancelled":
                    self.cancelled.add(msg["request_id"])
                    log("INFO", f"Request {msg['request_id']} was cancelled ({msg.get('reason')})")
                elif kind == "error":
                    log("ERROR", f"{msg.get('code')}: {msg.get('message') or msg.get('error')}")
        finally:
            if processor:
                processor.cancel()
            # Requests still queued here are requeued by the gateway when the connection drops.
            self.queue = asyncio.Queue()

    async def process_requests(self, ws: WebSocket) -> None:
        while True:
            request = await self.queue.get()
            request_id = request["request_id"]
            if request_id in self.cancelled:
                continue
            started = time.monotonic()
            try:
                output = await asyncio.to_thread(analyze_prompt, request)
                output["processing_time"] = round(time.monotonic() - started, 3)
                reply = {"type": "inference_result", "request_id": request_id, "username": request.get("username"), "status": "completed", "result": output}
                log("SUCCESS", f"Request {request_id} completed in {output['processing_time']} s")
            except Exception as err:
                reply = {"type": "inference_error", "request_id": request_id, "status": "failed", "error": str(err)}
                log("ERROR", f"Request {request_id} failed: {err}")
            if request_id not in self.cancelled:
                await ws.send_text(json.dumps(reply))


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a Spaceport space from this machine (WebSocket Spaces dialect).")
    parser.add_argument("--host", required=True, help="the gateway, e.g. https://your-gateway")
    parser.add_argument("--spaces", required=True, help="space name (comma-separated for several)")
    parser.add_argument("--token", default=os.environ.get("SPACEPORT_TOKEN"), help="worker token, if the space requires one")
    args = parser.parse_args()
    names = [n.strip() for n in args.spaces.split(",") if n.strip()]
    print("=" * 60)
    print("WebSocket Inference App")
    print("=" * 60)
    print(f"Host: {args.host}")
    print(f"Space: {', '.join(names)}")
    print("=" * 60, flush=True)

    async def run_all() -> None:
        await asyncio.gather(*(WebSocketApp(args.host, name, args.token).connect() for name in names))

    try:
        asyncio.run(run_all())
    except KeyboardInterrupt:
        log("INFO", "Stopped")
        return
    sys.exit(1)  # serving only ends when the gateway refused the registration


if __name__ == "__main__":
    main()
