-- Knowledge: collections, articles with their translations and published versions,
-- verification rules, feedback, deflections and knowledge gaps. Instants are microseconds
-- since the Unix epoch; lists are JSON arrays.
CREATE TABLE collections (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    parent_id TEXT REFERENCES collections (id),
    reader_team_ids TEXT NOT NULL,
    editor_team_ids TEXT NOT NULL,
    external_id TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE INDEX collections_by_parent ON collections (parent_id);

CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    external_id TEXT UNIQUE,
    collection_id TEXT NOT NULL REFERENCES collections (id),
    article_type BIGINT NOT NULL,
    visibility BIGINT NOT NULL,
    status BIGINT NOT NULL,
    source_locale TEXT NOT NULL,
    tags TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    verifier_person_id TEXT NOT NULL,
    verifier_team_id TEXT NOT NULL,
    verification_interval BIGINT NOT NULL,
    verified BIGINT NOT NULL,
    verified_by TEXT NOT NULL,
    verified_at BIGINT,
    verification_due_at BIGINT,
    unverified_reason TEXT NOT NULL,
    helpful_votes BIGINT NOT NULL,
    not_helpful_votes BIGINT NOT NULL,
    view_count BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT,
    revision BIGINT NOT NULL
);
CREATE INDEX articles_by_collection ON articles (collection_id);
CREATE INDEX articles_by_updated ON articles (updated_at, id);
CREATE INDEX articles_due_by_person ON articles (verifier_person_id, verification_due_at);
CREATE INDEX articles_due_by_team ON articles (verifier_team_id, verification_due_at);
CREATE INDEX articles_due ON articles (verified, verification_due_at);

CREATE TABLE article_tags (
    tag TEXT NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles (id),
    PRIMARY KEY (tag, article_id)
);
CREATE INDEX article_tags_by_article ON article_tags (article_id);

-- One row per locale of an article, the source locale included.
CREATE TABLE article_translations (
    article_id TEXT NOT NULL REFERENCES articles (id),
    locale TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    body_format BIGINT NOT NULL,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    -- Counts content changes; a translation is outdated when the source's revision passed
    -- the source_revision it was saved against.
    content_revision BIGINT NOT NULL,
    source_revision BIGINT NOT NULL,
    -- The latest published version (0 = never published).
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (article_id, locale)
);

CREATE TABLE article_versions (
    article_id TEXT NOT NULL REFERENCES articles (id),
    locale TEXT NOT NULL,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    body_format BIGINT NOT NULL,
    tags TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (article_id, locale, version)
);

CREATE TABLE verification_rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    collection_id TEXT NOT NULL,
    not_helpful_at_least BIGINT NOT NULL,
    not_helpful_within_days BIGINT NOT NULL,
    tag_changed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE feedback (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (id),
    locale TEXT NOT NULL,
    helpful BIGINT NOT NULL,
    comment TEXT NOT NULL,
    voter TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX feedback_by_article ON feedback (article_id, created_at);

CREATE TABLE deflections (
    ticket_id TEXT NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles (id),
    locale TEXT NOT NULL,
    marked_by TEXT NOT NULL,
    marked_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, article_id)
);

CREATE TABLE knowledge_gaps (
    query TEXT NOT NULL,
    locale TEXT NOT NULL,
    count BIGINT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (query, locale)
);
CREATE INDEX knowledge_gaps_by_count ON knowledge_gaps (count DESC, query, locale);
