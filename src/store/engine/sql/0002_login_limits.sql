-- Sign-in limits shared by every instance: attempts per client address and
-- per account in a one-minute window, and the account lockout that backs
-- off after five failures in a row. Keys are 'ip:<address>' or
-- 'account:<digest>' (never the email itself).
CREATE TABLE lp_login_limits (
    key bytea PRIMARY KEY,
    window_start timestamptz NOT NULL,
    attempts integer NOT NULL,
    failures integer NOT NULL DEFAULT 0,
    locked_until timestamptz
);
