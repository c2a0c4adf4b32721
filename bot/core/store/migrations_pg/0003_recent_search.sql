-- As SQLite's 0005: search ranks the newest papers (RECENT_PAPERS) on an index of their own,
-- then lists older matches newest first. Here the newest papers' search vectors live in a
-- narrow table with its own GIN index: ranking a common word reads a few thousand small rows,
-- not the whole papers table. Triggers keep it in step; each ingest trims what falls out.

CREATE TABLE papers_recent (
    seq     BIGINT PRIMARY KEY,
    search  tsvector NOT NULL
);

CREATE INDEX papers_recent_search ON papers_recent USING GIN (search);

CREATE FUNCTION papers_recent_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO papers_recent (seq, search) VALUES (NEW.seq, NEW.search);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE papers_recent SET search = NEW.search WHERE seq = NEW.seq;
    ELSE
        DELETE FROM papers_recent WHERE seq = OLD.seq;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER papers_recent_insert AFTER INSERT ON papers
    FOR EACH ROW EXECUTE FUNCTION papers_recent_sync();
CREATE TRIGGER papers_recent_update AFTER UPDATE OF title, abstract, authors, ai_keywords,
    ai_summary ON papers FOR EACH ROW EXECUTE FUNCTION papers_recent_sync();
CREATE TRIGGER papers_recent_delete AFTER DELETE ON papers
    FOR EACH ROW EXECUTE FUNCTION papers_recent_sync();

-- The newest 50,000 (RECENT_PAPERS).
INSERT INTO papers_recent (seq, search)
SELECT seq, search FROM papers ORDER BY seq DESC LIMIT 50000;
