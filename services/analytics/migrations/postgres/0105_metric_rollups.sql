-- Half-hour slots of the metric facts. A slot is marked with the feed position of the latest
-- change to a ticket dated in it (before or after the change); the refresher rebuilds its
-- rollups and records the revision it rebuilt. revision > refreshed_revision: the rollups are
-- stale, and series read that slot's ticket rows instead.
CREATE TABLE metric_slots (
    slot BIGINT PRIMARY KEY,
    revision BIGINT NOT NULL,
    refreshed_revision BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX metric_slots_stale ON metric_slots (slot) WHERE revision > refreshed_revision;

-- One row per slot and cell (all tickets, or one value of team, channel, priority or type):
-- each metric's DDSketch (see domain/rollup.rs for the encoding).
CREATE TABLE metric_rollups (
    slot BIGINT NOT NULL,
    dimension TEXT NOT NULL,
    dimension_value TEXT NOT NULL,
    sketches BYTEA NOT NULL,
    PRIMARY KEY (slot, dimension, dimension_value)
);
-- A filter reads one value's cells over a range; a grouping every value's.
CREATE INDEX metric_rollups_by_value ON metric_rollups (dimension, dimension_value, slot);
CREATE INDEX metric_rollups_by_dimension ON metric_rollups (dimension, slot);
