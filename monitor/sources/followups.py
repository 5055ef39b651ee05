"""Makes the follow-up GETs a parse asked for (Weibo long texts) for new posts only, within a budget."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from monitor.sources.fetch import Fetcher, FetchLimits
from monitor.sources.kinds import CompletesPosts, ParseResult, Request, SourceKind


async def complete_posts(
    fetcher: Fetcher,
    kind: SourceKind,
    result: ParseResult,
    *,
    headers: Mapping[str, str],
    limits: FetchLimits,
    known: Collection[str],
    budget: int,
) -> ParseResult:
    """Fetch follow-ups for posts not stored yet, at most `budget` of them; failures keep the preview.

    Posts already stored were completed (or not) when first seen: asking again on every poll
    would multiply requests to a host that bans fast clients.
    """
    if not result.follow_ups or not isinstance(kind, CompletesPosts):
        return result
    wanted = [f for f in result.follow_ups if f.external_id not in known]
    posts = {p.external_id: p for p in result.posts}
    notes = list(result.notes)
    for follow_up in wanted[:budget]:
        fetched = await fetcher.fetch(Request(follow_up.url, headers), limits)
        if fetched.kind != "ok":
            notes.append(f"follow-up for {follow_up.external_id}: {fetched.kind} {fetched.detail}".strip())
            if fetched.kind == "blocked":
                break
            continue
        post = posts.get(follow_up.external_id)
        if post is not None:
            posts[follow_up.external_id] = kind.complete(post, fetched.body)
    if len(wanted) > budget:
        notes.append(
            f"{len(wanted) - budget} long posts kept as previews (follow-up budget {budget} per poll)"
        )
    return replace(result, posts=tuple(posts.values()), notes=tuple(notes), follow_ups=())
