-- The responders' keywords (and department names) each post says, as the analyser found them. Grouping counts
-- them per event; routing names the departments whose words the posts say but the title does not (帖文提及).
ALTER TABLE post_analysis ADD COLUMN keywords text[] NOT NULL DEFAULT '{}';
