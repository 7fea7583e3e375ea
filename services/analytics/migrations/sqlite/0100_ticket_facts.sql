-- What analytics knows of each ticket, kept current from the ticketing feed. `last_position`
-- is the feed position of the newest event applied, so a replayed event never overwrites a
-- newer one.
CREATE TABLE ticket_facts (
    ticket_id TEXT PRIMARY KEY,
    status BIGINT NOT NULL,
    priority BIGINT NOT NULL,
    channel BIGINT NOT NULL,
    team_id TEXT NOT NULL,
    assignee_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    solved_at BIGINT,
    last_position BIGINT NOT NULL
);
CREATE INDEX ticket_facts_by_creation ON ticket_facts (created_at);
CREATE INDEX ticket_facts_by_status ON ticket_facts (status);
