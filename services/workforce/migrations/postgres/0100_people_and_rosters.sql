-- People, teams and departments, career history, shifts and time off.
-- Integers are BIGINT and instants are microseconds since the epoch, as in every service.
CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    head_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX departments_by_name ON departments (name);

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    department_id TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    max_concurrent_time_off BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE UNIQUE INDEX teams_by_name ON teams (name);

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    role BIGINT NOT NULL,
    manager_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    employment_status BIGINT NOT NULL,
    hourly_cost_currency TEXT NOT NULL,
    hourly_cost_minor BIGINT NOT NULL,
    skills TEXT NOT NULL,            -- JSON array of {name, kind, proficiency}
    external_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE UNIQUE INDEX people_by_external_id ON people (external_id);
CREATE INDEX people_by_team ON people (team_id);
CREATE INDEX people_by_manager ON people (manager_id);

-- Skills again, one row each, so "who speaks Polish" is an index lookup.
CREATE TABLE person_skills (
    skill TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    proficiency BIGINT NOT NULL,
    PRIMARY KEY (skill, person_id)
);

CREATE TABLE career_events (
    id BIGSERIAL PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    from_role BIGINT NOT NULL,
    to_role BIGINT NOT NULL,
    from_team_id TEXT NOT NULL,
    to_team_id TEXT NOT NULL,
    from_manager_id TEXT NOT NULL,
    to_manager_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX career_events_by_person ON career_events (person_id, id);

CREATE TABLE shifts (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    team_id TEXT NOT NULL,
    kind BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    state BIGINT NOT NULL,
    notes TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE INDEX shifts_by_person ON shifts (person_id, starts_at);
CREATE INDEX shifts_by_team ON shifts (team_id, starts_at);
-- On-shift lookups: published shifts that started within a day before the instant.
CREATE INDEX shifts_by_start ON shifts (state, starts_at);

CREATE TABLE time_off (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    kind BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    status BIGINT NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at BIGINT,
    decision_note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE INDEX time_off_by_person ON time_off (person_id, starts_at);
CREATE INDEX time_off_by_status ON time_off (status, starts_at);
