-- What the live SLA board shows of each ticket: its subject and when its first running SLA
-- target falls due, as its latest feed event said.
ALTER TABLE ticket_facts ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE ticket_facts ADD COLUMN sla_breach_at BIGINT;
CREATE INDEX ticket_facts_by_sla_breach ON ticket_facts (sla_breach_at);
