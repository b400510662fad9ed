-- mineral-cds memory, schema 1 (release 0.1.0). One script for H2 (PostgreSQL mode) and
-- PostgreSQL: portable types only; times are epoch milliseconds (UTC). No patient identifiers:
-- patients are HMAC pseudonyms (see Pseudonyms).

CREATE TABLE memory_setting (
  name VARCHAR(64) PRIMARY KEY,
  setting_value VARCHAR(256) NOT NULL
);

-- One row per hook call answered (chart openings, for cards per 100 openings).
CREATE TABLE call_log (
  call_id VARCHAR(36) PRIMARY KEY,
  issuer VARCHAR(512) NOT NULL,
  created_at BIGINT NOT NULL,
  cards_shown INTEGER NOT NULL,
  cards_silent INTEGER NOT NULL
);
CREATE INDEX call_log_created ON call_log (created_at);

-- Every card computed (shown or silent).
CREATE TABLE card_log (
  card_uuid VARCHAR(64) PRIMARY KEY,
  call_id VARCHAR(36) NOT NULL,
  issuer VARCHAR(512) NOT NULL,
  patient VARCHAR(64) NOT NULL,
  hook_instance VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  topic VARCHAR(128) NOT NULL,
  indicator SMALLINT NOT NULL,
  lead_rule VARCHAR(128) NOT NULL,
  rule_ids VARCHAR(2000) NOT NULL,
  result_ref VARCHAR(300),
  result_value VARCHAR(100),
  deviation DOUBLE PRECISION,
  critical BOOLEAN NOT NULL,
  silent BOOLEAN NOT NULL,
  service_version VARCHAR(64) NOT NULL,
  knowledge_version VARCHAR(64) NOT NULL
);
CREATE INDEX card_log_created ON card_log (created_at);

CREATE TABLE card_suggestion (
  suggestion_uuid VARCHAR(64) PRIMARY KEY,
  card_uuid VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  loinc_codes VARCHAR(500) NOT NULL,
  window_days INTEGER NOT NULL
);
CREATE INDEX card_suggestion_card ON card_suggestion (card_uuid);

CREATE TABLE feedback (
  card_uuid VARCHAR(64) NOT NULL,
  outcome VARCHAR(16) NOT NULL,
  outcome_at BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  issuer VARCHAR(512) NOT NULL,
  override_reason VARCHAR(128),
  override_comment VARCHAR(2000),
  accepted_suggestions VARCHAR(2000),
  PRIMARY KEY (card_uuid, outcome, outcome_at)
);
CREATE INDEX feedback_received ON feedback (received_at);

CREATE TABLE suppression (
  card_uuid VARCHAR(64) PRIMARY KEY,
  patient VARCHAR(64) NOT NULL,
  issuer VARCHAR(512) NOT NULL,
  topic VARCHAR(128) NOT NULL,
  indicator SMALLINT NOT NULL,
  deviation DOUBLE PRECISION,
  result_ref VARCHAR(300),
  result_only BOOLEAN NOT NULL,
  reason VARCHAR(128),
  created_at BIGINT NOT NULL,
  until_at BIGINT NOT NULL
);
CREATE INDEX suppression_patient ON suppression (patient, issuer);

CREATE TABLE accepted_test (
  suggestion_uuid VARCHAR(64) NOT NULL,
  loinc VARCHAR(32) NOT NULL,
  card_uuid VARCHAR(64) NOT NULL,
  patient VARCHAR(64) NOT NULL,
  issuer VARCHAR(512) NOT NULL,
  lead_rule VARCHAR(128) NOT NULL,
  accepted_at BIGINT NOT NULL,
  until_at BIGINT NOT NULL,
  resulted_at BIGINT,
  PRIMARY KEY (suggestion_uuid, loinc)
);
CREATE INDEX accepted_test_patient ON accepted_test (patient, issuer);
