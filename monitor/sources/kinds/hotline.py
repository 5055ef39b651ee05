"""Kind `hotline`: a 12345 platform's JSON or CSV export of work orders, polled like a feed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from monitor.config.sources import HotlineSource, Source
from monitor.sources.kinds import ParseContext, ParseFailure, ParseResult, Request, base_headers
from monitor.sources.orders import HotlineOrder, OrderInvalid, order_from_record

# Where exports put the order list: a bare list, or under one of these keys (possibly one level down).
_LIST_KEYS = ("orders", "data", "records", "rows", "items", "list", "result")
_MAX_NOTES = 5


class HotlineKind:
    """Reads the export; invalid rows are skipped and reported, an export with no valid row fails."""

    name = "hotline"

    def build_requests(self, source: Source, env: Mapping[str, str]) -> list[Request]:
        spec = source.spec
        assert isinstance(spec, HotlineSource) and spec.url is not None
        accept = "text/csv, */*;q=0.1" if spec.format == "csv" else "application/json, */*;q=0.1"
        return [
            Request(url=spec.url, headers=base_headers(source, env) | {"Accept": accept}, conditional=True)
        ]

    def parse(self, ctx: ParseContext, body: bytes, headers: Mapping[str, str]) -> ParseResult:
        spec = ctx.source.spec
        assert isinstance(spec, HotlineSource)
        records = _csv_records(body, spec.encoding) if spec.format == "csv" else _json_records(body)
        orders: dict[str, HotlineOrder] = {}
        problems: list[str] = []
        for index, record in enumerate(records):
            try:
                order = order_from_record(
                    record, now=ctx.now, region_codes=ctx.region_codes, salt=ctx.pii_salt
                )
            except OrderInvalid as exc:
                problems.append(f"row {index + 1}: {exc}")
                continue
            orders.setdefault(order.order_no, order)
        if records and not orders:
            raise ParseFailure("parse_error", f"no valid order in the export; {problems[0]}")
        notes = problems[:_MAX_NOTES]
        if len(problems) > _MAX_NOTES:
            notes.append(f"... and {len(problems) - _MAX_NOTES} more invalid rows")
        posts = tuple(order.to_post(ctx.source.id) for order in orders.values())
        return ParseResult(posts=posts, orders=tuple(orders.values()), notes=tuple(notes))


def _json_records(body: bytes) -> list[Mapping[str, Any]]:
    try:
        document = json.loads(body)
    # RecursionError: JSON nested deeper than the decoder's stack allows ("[" * 100000).
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ParseFailure("parse_error", f"export is not valid JSON: {exc}") from None
    found = _find_list(document, depth=2)
    if found is None:
        keys = sorted(document)[:8] if isinstance(document, dict) else type(document).__name__
        raise ParseFailure("parse_error", f"no order list in the JSON export (top level: {keys})")
    return [r for r in found if isinstance(r, dict)]


def _find_list(document: Any, depth: int) -> list[Any] | None:
    if isinstance(document, list):
        return document
    if not isinstance(document, dict) or depth == 0:
        return None
    for key in _LIST_KEYS:
        if key in document:
            found = _find_list(document[key], depth - 1)
            if found is not None:
                return found
    return None


def _csv_records(body: bytes, encoding: str) -> list[Mapping[str, Any]]:
    if encoding.lower().replace("-", "") == "utf8":
        encoding = "utf-8-sig"  # Excel writes a BOM
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ParseFailure("parse_error", f"export is not valid {encoding}: {exc.reason}") from None
    except LookupError:
        raise ParseFailure("parse_error", f"unknown encoding {encoding!r} configured") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        return [{k: v for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as exc:
        raise ParseFailure("parse_error", f"export is not valid CSV: {exc}") from None
