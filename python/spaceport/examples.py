"""Handlers that run as they are, to see a worker work before your model is in it.

    python3 -m spaceport.worker_cli --host URL --spaces NAME --handler spaceport.examples:echo
"""

from __future__ import annotations

from typing import Any

from .worker import Job, JobContext


def echo(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Streams the prompt back word by word, then returns it with the names and sizes of the job's files."""
    words = (job.prompt or "").split()
    for i, word in enumerate(words):
        ctx.progress((i + 1) / len(words), f"word {i + 1} of {len(words)}")
        ctx.token(word + " ")
    return {"text": job.prompt or "", "files": [{"name": f.name, "mime": f.mime, "size": f.size} for f in job.files]}
