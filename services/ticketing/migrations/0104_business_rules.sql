-- Triggers, automations and macros, and the record that makes automations exactly-once.
CREATE TABLE business_rules (
    id TEXT PRIMARY KEY,
    kind BIGINT NOT NULL,               -- 1 trigger, 2 automation, 3 macro
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    active BIGINT NOT NULL,
    conditions TEXT NOT NULL,           -- JSON
    actions TEXT NOT NULL,              -- JSON
    reply TEXT NOT NULL,
    reply_public BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX business_rules_by_kind ON business_rules (kind, position, id);

-- An automation acts on a ticket once per revision of it: the row is the claim, so replicas
-- running the same automation at the same moment cannot both act.
CREATE TABLE automation_runs (
    automation_id TEXT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    ticket_revision BIGINT NOT NULL,
    ran_at BIGINT NOT NULL,
    PRIMARY KEY (automation_id, ticket_id, ticket_revision)
);
