-- An organisation may share its tickets with its people: an end user then sees every ticket of
-- their organisation, not only their own (Zendesk's "shared organization").
ALTER TABLE organizations ADD COLUMN shared_tickets BIGINT NOT NULL DEFAULT 0;
