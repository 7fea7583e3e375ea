-- The complete ticket lifecycle: organisations, merges, custom fields, the conversation,
-- links, satisfaction, saved views and the search index.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,          -- lower-cased name: names are unique regardless of case
    domains TEXT NOT NULL,           -- JSON array
    notes TEXT NOT NULL,
    external_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE UNIQUE INDEX organizations_by_name ON organizations (name_key);
CREATE UNIQUE INDEX organizations_by_external_id ON organizations (external_id);
CREATE INDEX organizations_by_creation ON organizations (created_at, id);

CREATE TABLE organization_domains (
    domain TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id)
);

ALTER TABLE customers ADD COLUMN merged_into_id TEXT NOT NULL DEFAULT '';

ALTER TABLE tickets ADD COLUMN custom_fields TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tickets ADD COLUMN problem_id BIGINT;
ALTER TABLE tickets ADD COLUMN merged_into_id BIGINT;
ALTER TABLE tickets ADD COLUMN last_requester_reply_at BIGINT;
ALTER TABLE tickets ADD COLUMN last_agent_reply_at BIGINT;
ALTER TABLE tickets ADD COLUMN solve_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN satisfaction_rating BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN satisfaction_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN satisfaction_rated_at BIGINT;
CREATE INDEX tickets_by_problem ON tickets (problem_id);
CREATE INDEX tickets_by_solve ON tickets (status, solved_at);

CREATE TABLE ticket_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    author_id TEXT NOT NULL,
    author_role BIGINT NOT NULL,
    public BIGINT NOT NULL,          -- 1: public reply, 0: internal note
    body TEXT NOT NULL,
    channel BIGINT NOT NULL,
    attachments TEXT NOT NULL,       -- JSON array of {name, size_bytes, content_type, url}
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_comments_by_ticket ON ticket_comments (ticket_id, id);

CREATE TABLE ticket_links (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    linked_ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    kind BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, linked_ticket_id)
);
CREATE INDEX ticket_links_by_linked ON ticket_links (linked_ticket_id);

CREATE TABLE custom_fields (
    key TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    type BIGINT NOT NULL,
    options TEXT NOT NULL,           -- JSON array
    required_on_solve BIGINT NOT NULL,
    active BIGINT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);

CREATE TABLE ticket_views (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    filter TEXT NOT NULL,
    order_by TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE INDEX ticket_views_by_owner ON ticket_views (owner_id);
CREATE INDEX ticket_views_by_team ON ticket_views (team_id);

-- The full-text index: one row per distinct term of a ticket's subject, description and
-- comments (see domain/search.rs). Written in the transaction that changes the text.
CREATE TABLE ticket_search_terms (
    term TEXT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (term, ticket_id)
);
CREATE INDEX ticket_search_terms_by_ticket ON ticket_search_terms (ticket_id);
