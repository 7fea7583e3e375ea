-- How each team's new tickets find an agent, and where round robin continues.
CREATE TABLE team_routings (
    team_id TEXT PRIMARY KEY,
    strategy BIGINT NOT NULL,
    capacity_per_agent BIGINT NOT NULL,
    product_field TEXT NOT NULL,
    last_assignee_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
