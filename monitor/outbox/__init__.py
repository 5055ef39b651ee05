"""The notification outbox: routes, rendering, rate limits, retries with fallback, and the sender."""
