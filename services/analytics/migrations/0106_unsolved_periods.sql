-- Each ticket's unsolved periods (domain/backlog.rs), rewritten with its metrics at every event:
-- the backlog at an instant is the periods covering it; a period with reopened = 1 began with a
-- reopen. ends_at is NULL while the ticket is unsolved.
CREATE TABLE ticket_unsolved_periods (
    ticket_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    reopened BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
CREATE INDEX ticket_unsolved_periods_by_start ON ticket_unsolved_periods (starts_at);
CREATE INDEX ticket_unsolved_periods_by_end ON ticket_unsolved_periods (ends_at);
