-- Grouping features made where a post is analysed (monitor/events/prepared.py): its term ids and counts,
-- simhash and exact-text key. Kept only until the post is grouped (grouping sets it back to NULL), so the
-- grouping stage, which runs in one process at a time, does not featurise the text again.
ALTER TABLE posts ADD COLUMN group_features bytea;
