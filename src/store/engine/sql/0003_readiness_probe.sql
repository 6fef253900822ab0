-- One row per instance, rewritten by each readiness probe: /ready proves
-- a committed write, not only a round trip. Keyed by the host name, so a
-- fleet of instances keeps a small table.
CREATE TABLE lp_probe (instance text PRIMARY KEY, at timestamptz NOT NULL);
