-- The word statistics the topic rules and the learner read (how many papers use each word),
-- frozen once the store holds enough papers, so that a paper's verdict for a topic does not
-- drift as the store fills (meta: vocabulary_total, vocabulary_frozen_at).
BEGIN;

CREATE TABLE vocabulary (
    word       TEXT PRIMARY KEY,
    documents  INTEGER NOT NULL
);

PRAGMA user_version = 15;
COMMIT;
