-- Search ranks by bm25, and bm25 weighs each word by how many papers hold it: FTS5 counts them
-- over its whole index for every query, which costs tens of milliseconds per common phrase at
-- a million papers. Ranking therefore runs on a second index holding only the newest papers
-- (papers_recent_fts, RECENT_PAPERS in search_store.py); older matches follow, newest first.
BEGIN;

CREATE VIRTUAL TABLE papers_recent_fts USING fts5 (
    title, abstract, authors, ai_keywords, ai_summary,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO papers_recent_fts (papers_recent_fts, rank)
VALUES ('rank', 'bm25(10.0, 1.0, 3.0, 4.0, 2.0)');

CREATE TRIGGER papers_recent_insert AFTER INSERT ON papers BEGIN
    INSERT INTO papers_recent_fts (rowid, title, abstract, authors, ai_keywords, ai_summary)
    VALUES (new.rowid, new.title, new.abstract, new.authors, new.ai_keywords, new.ai_summary);
END;

CREATE TRIGGER papers_recent_delete AFTER DELETE ON papers BEGIN
    DELETE FROM papers_recent_fts WHERE rowid = old.rowid;
END;

CREATE TRIGGER papers_recent_update
AFTER UPDATE OF title, abstract, authors, ai_keywords, ai_summary ON papers BEGIN
    UPDATE papers_recent_fts
    SET title = new.title, abstract = new.abstract, authors = new.authors,
        ai_keywords = new.ai_keywords, ai_summary = new.ai_summary
    WHERE rowid = new.rowid;
END;

-- The newest 50,000 rowids (RECENT_PAPERS); each ingest trims what falls out.
INSERT INTO papers_recent_fts (rowid, title, abstract, authors, ai_keywords, ai_summary)
SELECT rowid, title, abstract, authors, ai_keywords, ai_summary FROM papers
WHERE rowid > (SELECT max(rowid) FROM papers) - 50000;

PRAGMA user_version = 5;
COMMIT;
