-- Pending revisions: an edit of a published article by someone who may not publish it waits
-- here, one row per locale, while article_translations keeps the published text readers see.
-- PublishArticle moves a row into article_translations (and a new version) and deletes it.
CREATE TABLE article_revisions (
    article_id TEXT NOT NULL REFERENCES articles (id),
    locale TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    body_format BIGINT NOT NULL,
    -- The published version of the locale it was written against (0 = never published).
    base_version BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, locale)
);
