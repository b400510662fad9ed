-- mineral-cds memory, schema 5: telling a proxy's retry from a replay (auth/ProxyRetry). With
-- --proxy-retry-header, request_key is the hex SHA-256 of the id the trusted proxy stamped on the
-- client's request and of the request itself (method, path, body), as first seen with the jti; a
-- second sighting of a live jti is accepted only with the same request_key (the proxy sending the
-- same request again to another replica). NULL when the setting is off or the proxy sent no id:
-- every second sighting is then a replay, as in schema 2. Portable (SQLite and PostgreSQL).
ALTER TABLE jwt_replay ADD COLUMN request_key VARCHAR(64);
