-- mineral-cds memory, schema 2: the JWT replay cache shared by every replica (auth/ReplayCache).
-- One row per accepted token: jti_key is the hex SHA-256 of issuer, a NUL and the jti (no token
-- content is kept); expires_at (epoch ms) is the token's exp plus the clock skew, after which the
-- token is refused as expired anyway and the row may be purged. The primary key makes the insert
-- the atomic check: of several replicas recording one jti at once, exactly one inserts.

CREATE TABLE jwt_replay (
  jti_key VARCHAR(64) PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX jwt_replay_expires ON jwt_replay (expires_at);
