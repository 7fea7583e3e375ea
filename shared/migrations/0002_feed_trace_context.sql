-- The W3C traceparent of the call that wrote each event, so a follower applying it continues
-- the writer's trace ('' when the write was not traced).
ALTER TABLE feed_events ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
