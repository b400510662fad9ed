-- mineral-cds memory, schema 4: daily roll-ups for analytics.
--
-- Analytics over a period used to scan every card of it (1 million cards: 10-23 s on SQLite).
-- These tables hold the same counts per UTC day (day_number = epoch milliseconds / 86400000), kept
-- up to date in the transaction that writes the card log or stores feedback, so a period of whole
-- days reads a few hundred rows. The card log itself is still read for the partial days at the
-- edges of a period and for the times from an accepted test to its result.
-- Counts only: no patient pseudonyms, no card ids. They are kept when the card log is purged at
-- the end of its retention, so the trend of a rule outlives the cards behind it.
-- Updated with INSERT ... ON CONFLICT DO UPDATE (SQLite >= 3.24 and PostgreSQL): atomic when
-- several replicas write at once. Each count is spread over a few rows (shard, picked at random
-- per write, summed when read): on PostgreSQL a row being updated is locked until its transaction
-- commits, and with one row per day every feedback of the day would wait for the one before it
-- (measured: 949 feedback/s without roll-ups, 461/s with one row, 8 clients).
-- Known imprecision: the same card uuid written by two replicas in overlapping transactions (a
-- proxy retry) is counted twice in card_day; the card log itself keeps one row.

-- Chart openings (hook calls answered) per day and issuer.
CREATE TABLE call_day (
  day_number BIGINT NOT NULL,
  issuer VARCHAR(512) NOT NULL,
  shard SMALLINT NOT NULL,
  openings BIGINT NOT NULL,
  PRIMARY KEY (day_number, issuer, shard)
);

-- Cards computed per day (the card's day), issuer, lead rule, topic, shown or silent.
CREATE TABLE card_day (
  day_number BIGINT NOT NULL,
  issuer VARCHAR(512) NOT NULL,
  lead_rule VARCHAR(128) NOT NULL,
  topic VARCHAR(128) NOT NULL,
  silent BOOLEAN NOT NULL,
  shard SMALLINT NOT NULL,
  cards BIGINT NOT NULL,
  PRIMARY KEY (day_number, issuer, lead_rule, topic, silent, shard)
);

-- Cards with feedback, counted once per card, outcome and override reason ('' for none), on the
-- card's day (a card overridden twice with the same reason counts once, as before).
CREATE TABLE feedback_day (
  day_number BIGINT NOT NULL,
  issuer VARCHAR(512) NOT NULL,
  lead_rule VARCHAR(128) NOT NULL,
  topic VARCHAR(128) NOT NULL,
  outcome VARCHAR(16) NOT NULL,
  reason VARCHAR(128) NOT NULL,
  shard SMALLINT NOT NULL,
  cards BIGINT NOT NULL,
  PRIMARY KEY (day_number, issuer, lead_rule, topic, outcome, reason, shard)
);

-- Which (card, outcome, reason) feedback_day has counted already: the first insert wins, so a
-- duplicate stored by another replica at the same moment is not counted twice. Purged with the
-- card log (card_created_at).
CREATE TABLE feedback_counted (
  card_uuid VARCHAR(64) NOT NULL,
  outcome VARCHAR(16) NOT NULL,
  reason VARCHAR(128) NOT NULL,
  card_created_at BIGINT NOT NULL,
  PRIMARY KEY (card_uuid, outcome, reason)
);
CREATE INDEX feedback_counted_created ON feedback_counted (card_created_at);

-- What was logged before this version.
INSERT INTO call_day (day_number, issuer, shard, openings)
  SELECT created_at / 86400000, issuer, 0, COUNT(*) FROM call_log
  GROUP BY created_at / 86400000, issuer;

INSERT INTO card_day (day_number, issuer, lead_rule, topic, silent, shard, cards)
  SELECT created_at / 86400000, issuer, lead_rule, topic, silent, 0, COUNT(*) FROM card_log
  GROUP BY created_at / 86400000, issuer, lead_rule, topic, silent;

INSERT INTO feedback_counted (card_uuid, outcome, reason, card_created_at)
  SELECT DISTINCT f.card_uuid, f.outcome, COALESCE(f.override_reason, ''), l.created_at
  FROM feedback f JOIN card_log l ON l.card_uuid = f.card_uuid;

INSERT INTO feedback_day (day_number, issuer, lead_rule, topic, outcome, reason, shard, cards)
  SELECT l.created_at / 86400000, l.issuer, l.lead_rule, l.topic, c.outcome, c.reason, 0, COUNT(*)
  FROM feedback_counted c JOIN card_log l ON l.card_uuid = c.card_uuid
  GROUP BY l.created_at / 86400000, l.issuer, l.lead_rule, l.topic, c.outcome, c.reason;
