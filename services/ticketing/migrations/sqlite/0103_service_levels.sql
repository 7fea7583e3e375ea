-- Service levels and escalation: business-hours calendars, SLA policies, each ticket's SLA
-- history and pending deadlines, the escalation ladder and its rules.
CREATE TABLE business_calendars (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    intervals TEXT NOT NULL,            -- JSON [{weekday, start_minute, end_minute}]
    holidays TEXT NOT NULL,             -- JSON ["YYYY-MM-DD"], sorted
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sla_policies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    position BIGINT NOT NULL,
    conditions TEXT NOT NULL,           -- JSON
    targets TEXT NOT NULL,              -- JSON
    calendar_id TEXT NOT NULL,
    warning_lead_seconds BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sla_policies_by_position ON sla_policies (position);

-- What SLA clocks are computed from: creation, status changes, public comments, in order.
CREATE TABLE ticket_sla_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,                 -- created | status | public_comment
    status BIGINT NOT NULL,             -- the new status, for kind = status
    by_agent BIGINT NOT NULL            -- 1 when an agent created / commented
);
CREATE INDEX ticket_sla_events_by_ticket ON ticket_sla_events (ticket_id, id);

-- Warning and breach instants still to fire, and those fired (kept, so each fires once).
CREATE TABLE sla_deadlines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    policy_id TEXT NOT NULL,
    metric BIGINT NOT NULL,
    kind BIGINT NOT NULL,               -- 1 warning, 2 breach
    due_at BIGINT NOT NULL,
    fired_at BIGINT
);
CREATE UNIQUE INDEX sla_deadlines_once ON sla_deadlines (ticket_id, metric, kind, due_at);
CREATE INDEX sla_deadlines_pending ON sla_deadlines (due_at) WHERE fired_at IS NULL;

ALTER TABLE tickets ADD COLUMN sla_policy_id TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN sla_breach_at BIGINT;
ALTER TABLE tickets ADD COLUMN escalation_tier BIGINT NOT NULL DEFAULT 1;
-- The expression ListTickets orders by: tickets with no running target sort last.
CREATE INDEX tickets_by_sla_breach ON tickets ((COALESCE(sla_breach_at, 9223372036854775807)), id);

CREATE TABLE ticket_escalations (
    id TEXT PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    direction BIGINT NOT NULL,
    from_tier BIGINT NOT NULL,
    to_tier BIGINT NOT NULL,
    team_id TEXT NOT NULL,
    assignee_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_escalations_by_ticket ON ticket_escalations (ticket_id, created_at);
-- A rule escalates a ticket once, however many replicas see its condition.
CREATE UNIQUE INDEX ticket_escalations_rule_once ON ticket_escalations (ticket_id, rule_id) WHERE rule_id <> '';

CREATE TABLE escalation_rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    active BIGINT NOT NULL,
    condition TEXT NOT NULL,            -- JSON
    tier BIGINT NOT NULL,
    team_id TEXT NOT NULL,
    assignee_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
