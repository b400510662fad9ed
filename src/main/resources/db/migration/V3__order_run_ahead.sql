-- mineral-cds memory, schema 3: what order-select showed for a draft order, so that order-sign
-- does not show it again unless it changed (run-ahead). Portable types only (SQLite and
-- PostgreSQL); times are epoch milliseconds (UTC). No patient identifiers and no order ids: the
-- scope and the draft key are SHA-256 digests (of the patient pseudonym and caller, and of the
-- draft's id and content); a finding is a digest of what the card said (rules, indicator, value).
CREATE TABLE order_run_ahead (
  scope VARCHAR(64) NOT NULL,
  draft_key VARCHAR(64) NOT NULL,
  finding VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (scope, draft_key, finding)
);
CREATE INDEX order_run_ahead_created ON order_run_ahead (created_at);
