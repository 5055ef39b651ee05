-- Events still flagged as bursting: the grouping stage closes bursts of events that went quiet.
CREATE INDEX events_bursting ON events (last_seen_at) WHERE bursting;
