-- Retention (monitor/retention) deletes old events without an incident and their posts. Deleting a post or an
-- event makes PostgreSQL check every table that refers to it: these indexes make each check a look-up rather
-- than a scan of the table (12345 orders' posts are also asked for directly, to be kept).
CREATE INDEX hotline_orders_post ON hotline_orders (post_id) WHERE post_id IS NOT NULL;
CREATE INDEX incident_orders_post ON incident_orders (post_id) WHERE post_id IS NOT NULL;
CREATE INDEX event_signatures_event ON event_signatures (event_id);
