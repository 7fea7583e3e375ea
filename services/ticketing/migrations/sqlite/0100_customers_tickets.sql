-- Customers and tickets: the foundation slice of ticketing.
-- Every integer is BIGINT so both backends decode it the same way; instants are microseconds
-- since the Unix epoch; external ids are NULL when unset so the unique index allows many.
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    emails TEXT NOT NULL,            -- JSON array, primary first
    phones TEXT NOT NULL,            -- JSON array
    locale TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    tier BIGINT NOT NULL,
    notes TEXT NOT NULL,
    external_id TEXT,
    organization_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE UNIQUE INDEX customers_by_external_id ON customers (external_id);
CREATE INDEX customers_by_creation ON customers (created_at, id);
CREATE INDEX customers_by_organization ON customers (organization_id);

-- One row per address, so an address belongs to one customer and lookups by email are indexed.
CREATE TABLE customer_emails (
    email TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id)
);
CREATE INDEX customer_emails_by_customer ON customer_emails (customer_id);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    requester_id TEXT NOT NULL REFERENCES customers (id),
    organization_id TEXT NOT NULL,
    channel BIGINT NOT NULL,
    type BIGINT NOT NULL,
    order_reference TEXT NOT NULL,
    priority BIGINT NOT NULL,
    status BIGINT NOT NULL,
    assignee_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    tags TEXT NOT NULL,              -- JSON array, sorted
    due_at BIGINT,
    external_id TEXT,
    locale TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    first_reply_at BIGINT,
    solved_at BIGINT,
    closed_at BIGINT,
    revision BIGINT NOT NULL
);
CREATE UNIQUE INDEX tickets_by_external_id ON tickets (external_id);
CREATE INDEX tickets_by_creation ON tickets (created_at, id);
CREATE INDEX tickets_by_update ON tickets (updated_at, id);
CREATE INDEX tickets_by_status ON tickets (status, created_at);
CREATE INDEX tickets_by_assignee ON tickets (assignee_id, status);
CREATE INDEX tickets_by_team ON tickets (team_id, status);
CREATE INDEX tickets_by_requester ON tickets (requester_id);

-- Tags again, one row each, so `tags:"billing"` is an index lookup.
CREATE TABLE ticket_tags (
    tag TEXT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (tag, ticket_id)
);
CREATE INDEX ticket_tags_by_ticket ON ticket_tags (ticket_id);

-- The audit trail: who changed what on a ticket, and when.
CREATE TABLE ticket_audits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,           -- JSON object: field → [before, after]
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_audits_by_ticket ON ticket_audits (ticket_id, id);

-- Request ids of idempotent creates (AIP-155), per caller.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    request_id TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, request_id)
);
