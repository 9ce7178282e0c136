-- Conversations, their turns, the model-visible history and the events a client redraws from.
CREATE TABLE conversations (
    id                TEXT PRIMARY KEY,
    created_at        REAL NOT NULL,
    updated_at        REAL NOT NULL,
    cwd               TEXT NOT NULL,
    model             TEXT NOT NULL,
    provider          TEXT NOT NULL,
    title             TEXT,
    preview           TEXT NOT NULL DEFAULT '',
    forked_from       TEXT REFERENCES conversations (id) ON DELETE SET NULL,
    archived          INTEGER NOT NULL DEFAULT 0,
    base_instructions TEXT,
    turn_count        INTEGER NOT NULL DEFAULT 0,
    epoch             INTEGER NOT NULL DEFAULT 0,
    total_usage       TEXT,
    owner_pid         INTEGER
);

CREATE INDEX conversations_by_update ON conversations (archived, updated_at DESC, id DESC);
CREATE INDEX conversations_by_cwd ON conversations (cwd, archived, updated_at DESC, id DESC);

CREATE TABLE turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    turn_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running', 'completed', 'aborted', 'failed')),
    started_at      REAL NOT NULL,
    ended_at        REAL,
    epoch           INTEGER NOT NULL,
    history_len     INTEGER,
    events_len      INTEGER,
    usage           TEXT,
    PRIMARY KEY (conversation_id, turn_id)
);

CREATE INDEX turns_by_status ON turns (conversation_id, status);

-- The model-visible history. Compaction starts a new epoch: the conversation's current epoch is
-- what the model sees; older epochs are kept for export and for forks from earlier turns.
CREATE TABLE items (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    epoch           INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    turn_id         TEXT,
    body            TEXT NOT NULL,
    PRIMARY KEY (conversation_id, epoch, seq)
) WITHOUT ROWID;

-- Completed (non-delta) events, in order, for redrawing a conversation.
CREATE TABLE events (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    turn_id         TEXT,
    body            TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
