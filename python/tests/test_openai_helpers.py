from spaceport.openai import chat_request, result, tool_call_piece
from spaceport.worker import Job


def job(options):
    return Job("job_1", "chat", 1, "someone", "hi", options, "2026-12-06T00:00:00Z")


def test_chat_request_is_the_clients_request_or_none():
    request = {"model": "chat", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}]}
    assert chat_request(job({"openai": request})) is request
    assert chat_request(job({"temperature": 0.5})) is None
    assert chat_request(job({"openai": "not a request"})) is None


def test_result_shapes_usage_finish_reason_and_tool_calls_as_the_gateway_reads_them():
    calls = [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert result(finish_reason="tool_calls", prompt_tokens=5, completion_tokens=2, tool_calls=calls) == {
        "finish_reason": "tool_calls",
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        "tool_calls": calls,
    }
    assert result() == {}


def test_tool_call_piece_is_openais_delta_shape_first_the_id_and_name_then_arguments():
    assert tool_call_piece(0, id="call_1", name="f") == {"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}]}
    assert tool_call_piece(1, arguments='{"a":') == {"tool_calls": [{"index": 1, "function": {"arguments": '{"a":'}}]}
