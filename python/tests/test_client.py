import io
import json
import urllib.error

from spaceport.client import SpaceportError, _refusal, parse_sse


def test_parse_sse_reads_ids_types_and_joins_data_lines_skipping_comments():
    text = ": queued, position 2\n\nid: 1\nevent: queued\ndata: {\"seq\": 1}\n\nid: 4.2\nevent: token\ndata: {\"a\":\ndata: 1}\r\n\r\nretry: 100\n\n"
    events = list(parse_sse(iter(text.splitlines(keepends=True))))
    assert events == [
        {"id": "1", "event": "queued", "data": '{"seq": 1}'},
        {"id": "4.2", "event": "token", "data": '{"a":\n1}'},
    ]
    assert json.loads(events[1]["data"]) == {"a": 1}


def test_parse_sse_without_a_trailing_blank_line_yields_nothing_half_read():
    assert list(parse_sse(iter(["id: 3\n", "data: {}\n"]))) == []


def test_a_refusal_carries_the_gateways_code_and_status():
    body = io.BytesIO(json.dumps({"error": {"code": "space_not_found", "message": "No space x."}}).encode())
    err = _refusal(urllib.error.HTTPError("http://g/v1/jobs", 404, "Not Found", {}, body))
    assert isinstance(err, SpaceportError)
    assert (err.code, err.status, err.message) == ("space_not_found", 404, "No space x.")


def test_a_refusal_without_a_json_body_still_says_its_status():
    err = _refusal(urllib.error.HTTPError("http://g/v1/jobs", 502, "Bad Gateway", {}, io.BytesIO(b"<html>")))
    assert (err.code, err.status) == ("http_error", 502)
