-- Each ticket's history as analytics needs it to compute metrics exactly: creation, status
-- changes, public comments, ratings, escalations and SLA breaches. Keyed by the ticketing feed
-- position (and the event's place within it), so replaying the feed never records one twice.
CREATE TABLE ticket_history (
    feed_position BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    ticket_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,                 -- created | status | public_comment | rated | escalated | sla_breached
    status BIGINT NOT NULL,             -- created / status: the status entered
    by_agent BIGINT NOT NULL,           -- created / public_comment: 1 when an agent
    actor_id TEXT NOT NULL,             -- public_comment: the author; status / created: the assignee
    detail TEXT NOT NULL,               -- rated: good | bad; sla_breached: the metric
    PRIMARY KEY (feed_position, seq)
);
CREATE INDEX ticket_history_by_ticket ON ticket_history (ticket_id, at);

-- The business hours metrics are measured in: each SLA policy's calendar, as ticketing's feed
-- announces them. A ticket under no policy is measured in calendar time only.
CREATE TABLE business_calendars (
    id TEXT PRIMARY KEY,
    time_zone TEXT NOT NULL,
    intervals TEXT NOT NULL,            -- JSON [[weekday 1-7, start minute, end minute]]
    holidays TEXT NOT NULL              -- JSON ["YYYY-MM-DD"]
);
CREATE TABLE sla_policies (
    id TEXT PRIMARY KEY,
    calendar_id TEXT NOT NULL
);
ALTER TABLE ticket_facts ADD COLUMN sla_policy_id TEXT NOT NULL DEFAULT '';
