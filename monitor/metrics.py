"""Every Prometheus metric the service exports (prefix `yuqing_`), on one registry per process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Timeliness buckets include exactly 5 h, 24 h and 48 h so on-time ratios are exact.
TIMELINESS_BUCKETS = (
    60.0,
    300.0,
    900.0,
    1800.0,
    3600.0,
    7200.0,
    10800.0,
    18000.0,
    43200.0,
    86400.0,
    172800.0,
    345600.0,
    604800.0,
)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Built once by the composition root and handed to the components that count things."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = self.registry = registry or CollectorRegistry()
        # ingestion
        self.polls = Counter(
            "yuqing_polls", "Source polls by kind and outcome", ["kind", "outcome"], registry=r
        )
        self.poll_seconds = Histogram(
            "yuqing_poll_duration_seconds",
            "Time to fetch and parse one source",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.posts_ingested = Counter("yuqing_posts_ingested", "New posts stored", ["kind"], registry=r)
        self.source_healthy = Gauge(
            "yuqing_source_healthy", "1 if the source's last poll succeeded", ["source", "kind"], registry=r
        )
        self.source_failures = Gauge(
            "yuqing_source_consecutive_failures", "Consecutive failed polls", ["source"], registry=r
        )
        self.source_age = Gauge(
            "yuqing_source_last_success_age_seconds",
            "Seconds since the last successful poll",
            ["source"],
            registry=r,
        )
        self.source_stale_after = Gauge(
            "yuqing_source_stale_after_seconds",
            "A source is stale when its last success is older than this",
            ["source"],
            registry=r,
        )
        # analysis
        self.posts_analysed = Counter("yuqing_posts_analysed", "Posts analysed", registry=r)
        self.analysis_seconds = Histogram(
            "yuqing_analysis_duration_seconds", "Analysis time per batch", buckets=LATENCY_BUCKETS, registry=r
        )
        # incidents
        self.incidents_opened = Counter(
            "yuqing_incidents_opened", "Incidents opened", ["grade", "department"], registry=r
        )
        self.incidents_open = Gauge(
            "yuqing_incidents_open", "Open incidents", ["grade", "department"], registry=r
        )
        self.clocks_at_risk = Gauge(
            "yuqing_clocks_at_risk", "Open clocks with under 20% of their time left", ["kind"], registry=r
        )
        self.incidents_open_by_region = Gauge(
            "yuqing_incidents_open_by_region",
            "Open incidents by grade and region",
            ["grade", "region"],
            registry=r,
        )
        self.clocks_overdue = Gauge(
            "yuqing_clocks_overdue", "Open clocks past their deadline without evidence", ["kind"], registry=r
        )
        # timeliness
        self.time_to_ack = self._timeliness("yuqing_time_to_ack_seconds", "Open to first acknowledgement")
        self.time_to_statement = self._timeliness(
            "yuqing_time_to_statement_seconds", "Clock start to authoritative information (权威信息)"
        )
        self.time_to_press_conference = self._timeliness(
            "yuqing_time_to_press_conference_seconds", "Clock start to press conference"
        )
        self.time_to_response = self._timeliness("yuqing_time_to_response_seconds", "Clock start to response")
        self.clock_breaches = Counter(
            "yuqing_clock_breaches", "Statutory clocks breached", ["kind", "department"], registry=r
        )
        # delivery and engine
        self.notifications = Counter(
            "yuqing_notifications",
            "Notification attempts by channel and outcome",
            ["channel", "outcome"],
            registry=r,
        )
        self.delivery_seconds = Histogram(
            "yuqing_notification_delivery_seconds",
            "Time from outbox row to delivery",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.outbox_depth = Gauge("yuqing_outbox_depth", "Undelivered outbox rows", registry=r)
        self.outbox_oldest_age = Gauge(
            "yuqing_outbox_oldest_age_seconds", "Age of the oldest undelivered outbox row", registry=r
        )
        self.engine_tick_seconds = Histogram(
            "yuqing_engine_tick_duration_seconds",
            "Escalation engine tick duration",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.engine_lag = Gauge(
            "yuqing_engine_lag_seconds", "How late the oldest due escalation row is", registry=r
        )
        self.auditor_heartbeat = Gauge(
            "yuqing_auditor_heartbeat_timestamp_seconds", "When the clock auditor last completed", registry=r
        )
        self.ops_alerts_open = Gauge("yuqing_ops_alerts_open", "Open operator alerts", ["kind"], registry=r)
        # wakeups across processes (monitor/wake.py)
        self.wake_notices = Counter(
            "yuqing_wake_notices",
            "Wake notices: sent, send_failed, received (from another process), own (ignored), listener_lost",
            ["event"],
            registry=r,
        )

        # monitor/retention
        self.retention_deleted = Counter(
            "yuqing_retention_deleted",
            "Rows deleted by the retention policy: events without an incident, and their posts",
            ["kind"],
            registry=r,
        )

    def _timeliness(self, name: str, doc: str) -> Histogram:
        return Histogram(
            name, doc, ["grade", "department"], buckets=TIMELINESS_BUCKETS, registry=self.registry
        )
