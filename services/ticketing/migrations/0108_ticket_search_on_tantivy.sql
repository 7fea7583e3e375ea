-- Ticket search moved to a tantivy index kept beside the database as derived data (rebuilt
-- from the tickets at start when missing); the term table it replaces goes.
DROP TABLE IF EXISTS ticket_search_terms;
