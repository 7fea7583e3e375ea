-- Knowledge articles suggested for a ticket when it was created, in rank order.
CREATE TABLE ticket_suggestions (
    ticket_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    article_id TEXT NOT NULL,
    title TEXT NOT NULL,
    locale TEXT NOT NULL,
    PRIMARY KEY (ticket_id, position)
);
