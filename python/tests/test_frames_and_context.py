import json

from spaceport.remote_app import WebSocketApp
from spaceport.frames import decode_frame, encode_frame
from spaceport.worker import JobContext


def test_binary_frames_round_trip_and_reject_garbage():
    frame = encode_frame({"ref": "job_1", "index": 2}, b"\x00\x01bytes")
    assert decode_frame(frame) == ({"ref": "job_1", "index": 2}, b"\x00\x01bytes")
    assert frame[:4] == len(b'{"ref":"job_1","index":2}').to_bytes(4, "big")
    assert decode_frame(b"\x00\x00") is None
    assert decode_frame(b"\x00\x00\x00\x05{bad}") is None
    assert decode_frame(b"\x00\x00\x00\x02{}") is None  # no ref/index


def test_context_emits_in_order_and_goes_quiet_once_cancelled():
    sent = []
    ctx = JobContext("job_9", sent.append)
    ctx.progress(0.5, "half")
    ctx.token("a")
    ctx.partial({"k": 1})
    ctx.cancel()
    ctx.token("after cancel")
    assert [m["type"] for m in sent] == ["progress", "token", "partial"]
    assert sent[0] == {"type": "progress", "job": "job_9", "progress": 0.5, "message": "half"}
    assert ctx.cancelled
    ctx.attach("out.bin", "application/octet-stream", b"123")
    assert ctx.files == [("out.bin", "application/octet-stream", b"123")]
    json.dumps(sent)  # everything emitted is JSON


def test_partial_with_files_sends_the_message_then_one_frame_per_file():
    sent = []
    ctx = JobContext("job_7", lambda message, frames=None: sent.append((message, frames or [])))
    ctx.partial({"frame": 3}, [("f3.jpg", "image/jpeg", b"\xff\xd8jpeg")])
    ctx.partial("no files")
    (message, frames), (plain, no_frames) = sent
    assert message == {"type": "partial", "job": "job_7", "data": {"frame": 3}, "files": [{"name": "f3.jpg", "mime": "image/jpeg", "binary": True}]}
    assert [decode_frame(f) for f in frames] == [({"ref": "job_7", "index": 0}, b"\xff\xd8jpeg")]
    assert plain == {"type": "partial", "job": "job_7", "data": "no files"} and no_frames == []


def test_the_example_app_answers_a_request_with_an_inference_result():
    app = WebSocketApp(host="http://gateway", space_name="MySpace")
    reply = app.simulate_inference({"request_id": "job_1", "username": "ada", "payload": {"prompt": "the cat and the hat and the bat"}})
    assert reply["type"] == "inference_result" and reply["request_id"] == "job_1" and reply["status"] == "completed"
    out = reply["result"]
    assert out["word_count"] == 8
    assert out["top_words"][0] == "the"
    assert out["text_output"].startswith("8 words, 31 characters; most frequent: the (3)")


def test_a_worker_keeps_what_a_running_job_emits_while_the_connection_is_down_and_drops_it_for_jobs_not_given_back():
    import asyncio

    from spaceport.worker import Worker

    async def scenario():
        worker = Worker("http://gateway", ["s"], "token", handler=lambda job, ctx: None, log=lambda line: None)
        worker.running = {"job_kept": object.__new__(type("Ctx", (), {"cancel": lambda self: None})), "job_gone": object.__new__(type("Ctx", (), {"cancel": lambda self: None}))}
        for job_id, item in [("job_kept", "a"), ("job_gone", "b"), (None, "heartbeat"), ("job_kept", "c")]:
            worker._outbox.put_nowait((job_id, item))
        worker._keep({"job_kept"})
        left = []
        while not worker._outbox.empty():
            left.append(worker._outbox.get_nowait())
        return left, set(worker.running)

    left, running = asyncio.run(scenario())
    assert left == [("job_kept", "a"), (None, "heartbeat"), ("job_kept", "c")]
    assert running == {"job_kept"}


def test_numbered_messages_are_kept_to_send_again_within_their_byte_bound(monkeypatch):
    from spaceport import worker

    monkeypatch.setattr(worker, "KEPT_BYTES", 200)
    sent = worker._Sent()
    parts = [sent.number({"type": "token", "job": "job_1", "text": f"t{i}"}, []) for i in range(10)]
    assert [json.loads(p[0])["n"] for p in parts] == list(range(1, 11))
    # Only the latest fit in 200 bytes; what came after the gateway's count goes again, in order.
    kept = [json.loads(p)["n"] for p in sent.after(0)]
    assert kept == list(range(11 - len(kept), 11)) and 1 < len(kept) < 10
    assert [json.loads(p)["n"] for p in sent.after(8)] == [9, 10]
    frames = sent.number({"type": "partial", "job": "job_1"}, [b"\x00frame"])
    assert frames[1] == b"\x00frame" and sent.after(10) == frames
