-- The departments routing named without paging them (the guess the duty desk weighs when it leads, and those
-- under 未列为协办), in the order named: the incident page offers them first for 改派 and 加派协办.
ALTER TABLE incidents ADD COLUMN route_candidates text[] NOT NULL DEFAULT '{}';
