-- The fleet's conditional-request cache (issue 14): the validators (ETag, Last-Modified) of GitHub
-- answers and the bodies they validate, shared by every replica, so a pull request reconciled by
-- another replica is still revalidated for free (a 304 is not charged to the rate limit). An entry
-- is only ever used to make a request conditional: nothing is answered from it without GitHub's
-- 304. The key is the credential's scope and the URL ("installation:<id> <url>"), never a token.
-- Bounded by rows, bytes and age; the least recently used go first. Times are unix milliseconds.
CREATE TABLE http_cache (
    cache_key     TEXT    NOT NULL PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    next_link     TEXT,
    body          BYTEA   NOT NULL,
    size          BIGINT  NOT NULL,
    stored_at     BIGINT  NOT NULL,
    used_at       BIGINT  NOT NULL
);

CREATE INDEX http_cache_used ON http_cache (used_at);
