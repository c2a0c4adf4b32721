-- Full-text search over papers, and personal saved-paper lists.
BEGIN;

-- External-content FTS5 index over the papers table, kept in step by triggers.
CREATE VIRTUAL TABLE papers_fts USING fts5 (
    title, abstract, authors, ai_keywords, ai_summary,
    content = 'papers', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
    INSERT INTO papers_fts (rowid, title, abstract, authors, ai_keywords, ai_summary)
    VALUES (new.rowid, new.title, new.abstract, new.authors, new.ai_keywords, new.ai_summary);
END;

CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, title, abstract, authors, ai_keywords, ai_summary)
    VALUES ('delete', old.rowid, old.title, old.abstract, old.authors, old.ai_keywords,
            old.ai_summary);
END;

CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors, ai_keywords, ai_summary
ON papers BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, title, abstract, authors, ai_keywords, ai_summary)
    VALUES ('delete', old.rowid, old.title, old.abstract, old.authors, old.ai_keywords,
            old.ai_summary);
    INSERT INTO papers_fts (rowid, title, abstract, authors, ai_keywords, ai_summary)
    VALUES (new.rowid, new.title, new.abstract, new.authors, new.ai_keywords, new.ai_summary);
END;

INSERT INTO papers_fts (papers_fts) VALUES ('rebuild');

-- ORDER BY rank uses bm25 with these column weights: title, abstract, authors, keywords, summary.
INSERT INTO papers_fts (papers_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0, 3.0, 4.0, 2.0)');

CREATE VIRTUAL TABLE papers_vocab USING fts5vocab (papers_fts, 'row');

CREATE INDEX papers_upvotes ON papers (upvotes);
CREATE INDEX papers_submitted_at ON papers (submitted_at);

CREATE TABLE saved_lists (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    name        TEXT NOT NULL COLLATE NOCASE,
    created_at  TEXT NOT NULL,
    UNIQUE (user_id, name)
) STRICT;

-- A saved paper keeps its own copy of what an export needs, so that removing the paper from
-- the papers table never removes it from anyone's list.
CREATE TABLE saved_items (
    list_id       INTEGER NOT NULL REFERENCES saved_lists (id) ON DELETE CASCADE,
    paper_id      TEXT NOT NULL,
    title         TEXT NOT NULL,
    authors       TEXT NOT NULL DEFAULT '[]',
    published_at  TEXT,
    status        TEXT NOT NULL DEFAULT 'unread' CHECK (status IN ('unread', 'read')),
    note          TEXT,
    saved_at      TEXT NOT NULL,
    PRIMARY KEY (list_id, paper_id)
) STRICT;

CREATE INDEX saved_items_newest ON saved_items (list_id, saved_at DESC);

PRAGMA user_version = 3;
COMMIT;
