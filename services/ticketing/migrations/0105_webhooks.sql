-- Outbound webhooks: the subscriptions, their deliveries (pending, delivered, dead), and how far
-- the enqueuer has followed ticketing's own feed.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,              -- JSON ["ticket.created", "ticket.*"]
    secret TEXT NOT NULL,                   -- the HMAC key; it must be readable to sign with
    previous_secret TEXT NOT NULL,          -- '' when none
    previous_secret_expires_at BIGINT,
    allow_private_targets BIGINT NOT NULL,
    active BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,                     -- the JSON sent, the same on every attempt
    status BIGINT NOT NULL,                 -- 1 pending, 2 delivered, 3 dead
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,        -- while pending: next attempt, or the end of a running one's lease
    last_status_code BIGINT NOT NULL,       -- 0: no answer
    last_error TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
-- An event reaches a webhook once, however many replicas enqueue it.
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at, id);

-- The enqueuer starts at the feed's head: nothing before webhooks existed is owed to anyone.
INSERT INTO feed_cursors (follower, position, head_position, updated_at, last_error)
SELECT 'webhooks', COALESCE(MAX(position), 0), COALESCE(MAX(position), 0), 0, '' FROM feed_events WHERE true
ON CONFLICT (follower) DO NOTHING;
