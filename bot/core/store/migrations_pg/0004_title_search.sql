-- A search restricted to titles (`title:word`, the column filter people use) is answered off
-- a title-only vector with a GIN index of its own. On `search`, GIN cannot tell a title word
-- from an abstract word: every paper with the word anywhere was read back to check its
-- weight, thousands of TOASTed vectors for a common word. A title vector is small and inline.

ALTER TABLE papers ADD COLUMN title_search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, title), 'A')
) STORED;

CREATE INDEX papers_title_search ON papers USING GIN (title_search);

ALTER TABLE papers_recent ADD COLUMN title_search tsvector;
UPDATE papers_recent r SET title_search = p.title_search FROM papers p WHERE p.seq = r.seq;
ALTER TABLE papers_recent ALTER COLUMN title_search SET NOT NULL;

CREATE INDEX papers_recent_title_search ON papers_recent USING GIN (title_search);

CREATE OR REPLACE FUNCTION papers_recent_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO papers_recent (seq, search, title_search)
        VALUES (NEW.seq, NEW.search, NEW.title_search);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE papers_recent SET search = NEW.search, title_search = NEW.title_search
        WHERE seq = NEW.seq;
    ELSE
        DELETE FROM papers_recent WHERE seq = OLD.seq;
    END IF;
    RETURN NULL;
END;
$$;
