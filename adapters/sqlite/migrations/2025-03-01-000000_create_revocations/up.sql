-- Revoked access tokens and refresh families, so that a revocation outlives a restart.
--
-- A row is revoked while the current time is at most until_us, the latest expiry of an access
-- token it covers; afterwards it has no effect, and each new revocation deletes the rows whose
-- until_us passed more than a minute before.

CREATE TABLE revocations (
    -- 'token': one access token, by its jti; 'family': every access token of a refresh family.
    kind TEXT NOT NULL CHECK (kind IN ('token', 'family')),
    id TEXT NOT NULL CHECK (length(id) = 36),
    -- Microseconds since 1970-01-01 UTC.
    until_us INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX revocations_until_us ON revocations (until_us);
