-- Facts from the knowledge and workforce feeds. Each is keyed so that applying an event again
-- changes nothing: by the event's feed position where the event is the fact (a view, a search
-- window, a coaching session), by the source's id where the same fact may be sent again (a vote
-- re-sent with the ticket it opened, a deflection, a person's latest state).
CREATE TABLE knowledge_articles (
    article_id TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL,
    title TEXT NOT NULL,
    last_position BIGINT NOT NULL
);

CREATE TABLE knowledge_collections (
    collection_id TEXT PRIMARY KEY,
    parent_id TEXT NOT NULL,
    last_position BIGINT NOT NULL
);

CREATE TABLE knowledge_views (
    position BIGINT PRIMARY KEY,
    article_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    viewed_at BIGINT NOT NULL
);
CREATE INDEX knowledge_views_by_time ON knowledge_views (viewed_at);

CREATE TABLE knowledge_votes (
    feedback_id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    helpful BIGINT NOT NULL,
    voted_at BIGINT NOT NULL
);
CREATE INDEX knowledge_votes_by_time ON knowledge_votes (voted_at);

CREATE TABLE knowledge_deflections (
    ticket_id TEXT NOT NULL,
    article_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    marked_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, article_id)
);
CREATE INDEX knowledge_deflections_by_time ON knowledge_deflections (marked_at);

-- One row per locale of each search.stats window, counted at the window's end.
CREATE TABLE knowledge_search_windows (
    position BIGINT NOT NULL,
    locale TEXT NOT NULL,
    window_end BIGINT NOT NULL,
    searches BIGINT NOT NULL,
    no_results BIGINT NOT NULL,
    PRIMARY KEY (position, locale)
);
CREATE INDEX knowledge_search_windows_by_time ON knowledge_search_windows (window_end);

CREATE TABLE knowledge_search_gaps (
    position BIGINT NOT NULL,
    locale TEXT NOT NULL,
    query TEXT NOT NULL,
    searches BIGINT NOT NULL,
    window_end BIGINT NOT NULL,
    PRIMARY KEY (position, locale, query)
);
CREATE INDEX knowledge_search_gaps_by_time ON knowledge_search_gaps (window_end);

CREATE TABLE workforce_people (
    person_id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL,
    role BIGINT NOT NULL,
    employment_status BIGINT NOT NULL,
    last_position BIGINT NOT NULL
);

CREATE TABLE workforce_certifications (
    certification_id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL,
    name TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX workforce_certifications_by_person ON workforce_certifications (person_id);

-- The team is the agent's when the review was scored, so moving teams later does not move it.
CREATE TABLE workforce_qa_scores (
    review_id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    scored_at BIGINT NOT NULL
);
CREATE INDEX workforce_qa_scores_by_time ON workforce_qa_scores (scored_at);

-- Coaching sessions and kudos: one row per feed event (kind 'coaching' or 'kudos').
CREATE TABLE workforce_development (
    position BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    person_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX workforce_development_by_time ON workforce_development (at);
