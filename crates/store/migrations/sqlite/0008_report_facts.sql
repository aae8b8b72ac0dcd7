-- The weekly report's facts (issue 13): what each relevant delivery (pull requests, reviews,
-- labels, board moves, releases, pushes) told, reduced to small JSON facts with GitHub's times,
-- kept after retention prunes the delivery itself so eight weeks of trend stay computable.
-- One row per delivery: harvesting a delivery twice writes nothing new.
CREATE TABLE report_facts (
    delivery_id TEXT    NOT NULL PRIMARY KEY,
    -- `owner/name`, or NULL for an organisation's board move
    repository  TEXT,
    -- the organisation (the repository's owner, or the project's)
    org         TEXT,
    -- the latest GitHub time among the facts (the event's time, unix milliseconds), to read a window by
    at          INTEGER NOT NULL,
    -- JSON array of `plasma_report::facts::Fact`
    facts       TEXT    NOT NULL
);

CREATE INDEX report_facts_by_time ON report_facts (at);
