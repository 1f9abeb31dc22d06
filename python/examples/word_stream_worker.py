"""A Python worker on the native protocol: streams the prompt back word by word.

    python python/examples/word_stream_worker.py --host http://localhost:8000 --spaces echo --token spw_...

"count N" streams N numbered tokens (a slow job to try cancel on), "frames N" streams N partial
results each carrying a small frame as live media, "fail" raises, "flaky" raises a RetryableError on
its first attempt (the gateway tries it again after the space's backoff), and every input file comes
back reversed as a result file. Replace `handle` with your model call.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from spaceport import RetryableError, serve  # noqa: E402


def handle(job, ctx):
    prompt = job.prompt or ""
    if prompt.startswith("count "):
        n = int(prompt.split()[1])
        for i in range(n):
            if ctx.cancelled:
                return None
            time.sleep(0.02)
            ctx.progress((i + 1) / n, f"{i + 1} of {n}")
            ctx.token(f"t{i} ")
        return {"count": n}
    if prompt.startswith("frames "):
        n = int(prompt.split()[1])
        for i in range(n):
            ctx.partial({"frame": i}, [(f"frame-{i}.raw", "application/octet-stream", bytes([i]) * 100)])
        return {"frames": n}
    if prompt == "fail":
        raise RuntimeError("the python model is on fire")
    if prompt == "flaky" and job.attempt == 1:
        raise RetryableError("the GPU is busy")
    words = prompt.split()
    for word in words:
        ctx.token(word + " ")
    for f in job.files:
        ctx.attach("reversed-" + f.name, f.mime, f.data[::-1])
    return {"words": len(words), "user": job.user, "files": [f.name for f in job.files]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--spaces", required=True, help="comma-separated space names")
    parser.add_argument("--token", default=os.environ.get("SPACEPORT_TOKEN"))
    parser.add_argument("--slots", type=int, default=1)
    args = parser.parse_args()
    serve(args.host, args.spaces.split(","), token=args.token, handler=handle, slots=args.slots, log=lambda line: print(line, flush=True))
