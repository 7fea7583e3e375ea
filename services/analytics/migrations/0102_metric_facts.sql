-- One row per ticket with its metrics, recomputed from its history whenever an event about it
-- arrives (as of that event, so a replay computes the same row). Series are read from here.
CREATE TABLE ticket_metric_facts (
    ticket_id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL,
    assignee_id TEXT NOT NULL,
    channel BIGINT NOT NULL,
    priority BIGINT NOT NULL,
    type BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    first_reply_at BIGINT,
    first_reply_seconds BIGINT,
    first_reply_business_seconds BIGINT,
    solved_at BIGINT,
    full_resolution_seconds BIGINT,
    full_resolution_business_seconds BIGINT,
    requester_wait_seconds BIGINT NOT NULL,
    requester_wait_business_seconds BIGINT NOT NULL,
    agent_replies BIGINT NOT NULL,
    reopens BIGINT NOT NULL,
    one_touch BIGINT NOT NULL,
    csat BIGINT NOT NULL,               -- 0 not rated, 1 good, 2 bad
    escalated BIGINT NOT NULL
);
CREATE INDEX ticket_metric_facts_by_creation ON ticket_metric_facts (created_at);
CREATE INDEX ticket_metric_facts_by_solve ON ticket_metric_facts (solved_at);
CREATE INDEX ticket_metric_facts_by_first_reply ON ticket_metric_facts (first_reply_at);

CREATE TABLE ticket_fact_tags (
    ticket_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_fact_tags_by_tag ON ticket_fact_tags (tag);
