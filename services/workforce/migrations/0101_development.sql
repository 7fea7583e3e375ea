-- Development: training, certifications, coaching, performance reviews, kudos and QA.
-- Coaching notes and reviews are private; the API decides who reads them.
CREATE TABLE training_programs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX training_programs_by_name ON training_programs (name);

CREATE TABLE enrollments (
    program_id TEXT NOT NULL REFERENCES training_programs (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    status BIGINT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    completed_at BIGINT,
    PRIMARY KEY (program_id, person_id)
);
CREATE INDEX enrollments_by_person ON enrollments (person_id);

CREATE TABLE certifications (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX certifications_by_person ON certifications (person_id);
CREATE INDEX certifications_by_expiry ON certifications (expires_at);

CREATE TABLE coaching_sessions (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    coach_id TEXT NOT NULL,
    held_at BIGINT NOT NULL,
    notes TEXT NOT NULL,
    action_items TEXT NOT NULL,      -- JSON array of {text, done}
    created_at BIGINT NOT NULL
);
CREATE INDEX coaching_sessions_by_person ON coaching_sessions (person_id, held_at);

CREATE TABLE performance_reviews (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    reviewer_id TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    goals TEXT NOT NULL,             -- JSON array of {description, rating}
    overall_rating BIGINT NOT NULL,
    summary TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX performance_reviews_by_person ON performance_reviews (person_id, period_end);

CREATE TABLE kudos (
    id TEXT PRIMARY KEY,
    from_person_id TEXT NOT NULL,
    to_person_id TEXT NOT NULL REFERENCES people (id),
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX kudos_by_recipient ON kudos (to_person_id, created_at);

CREATE TABLE scorecards (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    criteria TEXT NOT NULL,          -- JSON array of {key, title, weight}
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX scorecards_by_name ON scorecards (name);

CREATE TABLE qa_reviews (
    id TEXT PRIMARY KEY,
    scorecard_id TEXT NOT NULL REFERENCES scorecards (id),
    ticket_id TEXT NOT NULL,
    agent_id TEXT NOT NULL REFERENCES people (id),
    reviewer_id TEXT NOT NULL,
    scores TEXT NOT NULL,            -- JSON array of {key, score}
    total DOUBLE PRECISION NOT NULL,
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX qa_reviews_by_agent ON qa_reviews (agent_id, created_at);
CREATE INDEX qa_reviews_by_ticket ON qa_reviews (ticket_id);

-- On-shift lookups read the published shifts of one kind that started in the last day.
CREATE INDEX shifts_by_kind_and_start ON shifts (state, kind, starts_at);
CREATE INDEX time_off_by_status_and_end ON time_off (status, ends_at);
-- "Who speaks Polish, best first": speakers of a skill in proficiency order.
CREATE INDEX person_skills_by_proficiency ON person_skills (skill, proficiency DESC, person_id);
