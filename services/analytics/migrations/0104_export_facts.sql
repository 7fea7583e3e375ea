-- What the BI export needs beyond what series read: every metric of the ticket, and the feed
-- position of the event that last changed its row (`revision`), so an export resumes from a
-- cursor and returns only rows changed since. Rows written before this migration have
-- revision 0 and zeros here until `frontline analytics rebuild`.
ALTER TABLE ticket_metric_facts ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_metric_facts ADD COLUMN status BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_metric_facts ADD COLUMN agent_wait_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_metric_facts ADD COLUMN agent_wait_business_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_metric_facts ADD COLUMN on_hold_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_metric_facts ADD COLUMN on_hold_business_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_metric_facts ADD COLUMN next_replies BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_metric_facts ADD COLUMN next_reply_total_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_metric_facts ADD COLUMN next_reply_total_business_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_metric_facts ADD COLUMN requester_replies BIGINT NOT NULL DEFAULT 0;
-- Comma-separated, sorted: SLA metrics breached, and the agents who handled the ticket.
ALTER TABLE ticket_metric_facts ADD COLUMN sla_breached TEXT NOT NULL DEFAULT '';
ALTER TABLE ticket_metric_facts ADD COLUMN handled_by TEXT NOT NULL DEFAULT '';
CREATE INDEX ticket_metric_facts_by_revision ON ticket_metric_facts (revision, ticket_id);

-- Bumped by every rebuild: revisions start again from the feeds' beginning, so a cursor of an
-- earlier epoch is refused instead of silently skipping rows.
CREATE TABLE analytics_state (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO analytics_state (name, value) VALUES ('rebuild_epoch', 1);
