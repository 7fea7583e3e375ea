-- The change feed (transactional outbox). `position` is NULL until the sequencer numbers the
-- committed event; followers read only numbered events, in position order.
CREATE TABLE feed_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    position BIGINT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    payload_type TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE UNIQUE INDEX feed_events_by_position ON feed_events (position) WHERE position IS NOT NULL;
CREATE INDEX feed_events_unnumbered ON feed_events (id) WHERE position IS NULL;

-- Where each follower of another service's feed has got to; updated in the same transaction
-- as the effects of the events it applied.
CREATE TABLE feed_cursors (
    follower TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    head_position BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT ''
);
