-- As SQLite's 0015: the frozen word statistics.

CREATE TABLE vocabulary (
    word       TEXT PRIMARY KEY,
    documents  INTEGER NOT NULL
);
