-- mineral-cds memory, schema 6: a card's suggestions (uuid, LOINC codes, window) kept in its own
-- card_log row (StoredSuggestions) instead of one card_suggestion row each. Every logged card cost
-- two more inserts at random places of the card_suggestion table and its index (uuids are random),
-- the largest part of the card log's cost per hook call on the embedded database (BENCHMARKS.md).
-- Rows logged before this version keep their suggestions in card_suggestion (read when the column
-- is NULL) until the retention purge removes them. Portable (SQLite and PostgreSQL).
ALTER TABLE card_log ADD COLUMN suggestions VARCHAR(4000);
