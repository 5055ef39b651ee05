-- The responders' keywords (and department names) each post says, as the analyser found them. Grouping counts
-- them per event, so routing reads a department's words in every post of the event, not only in its title.
ALTER TABLE post_analysis ADD COLUMN keywords text[] NOT NULL DEFAULT '{}';
