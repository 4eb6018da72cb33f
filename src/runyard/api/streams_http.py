"""How runyard's streams resume over Server-Sent Events, told to the generic gateway
(runyard.gateway.sse): Last-Event-ID goes into the request's resume field, and
each event's id is the response's resume point."""

from __future__ import annotations

from runyard.gateway.sse import ResumeRule

SSE_RESUME = {
    "/runyard.v1.RunService/WatchRunEvents": ResumeRule("after_sequence", "event.sequence"),
    "/runyard.v1.RunService/WatchRuns": ResumeRule("resume_token", "change.resume_token"),
}


def cli_flags() -> list[str]:
    """The same rules as `--sse-resume` flags of the stand-alone gateway."""
    flags: list[str] = []
    for method, rule in SSE_RESUME.items():
        flags += ["--sse-resume", f"{method}={rule.request_field}:{rule.response_path}"]
    return flags
