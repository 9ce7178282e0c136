-- Undo: the files each turn changed, with their content before and after it (NULL: the file
-- did not exist). `recorded` = 0 marks a file the turn changed whose content was not kept (not
-- text, or over the size limit): undo names it instead of restoring it. `undone` = 1 once its
-- changes were taken back; rewinding a turn deletes its rows.
CREATE TABLE turn_snapshots (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    turn_id         TEXT NOT NULL,
    undone          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, turn_id)
);

CREATE TABLE snapshot_files (
    conversation_id TEXT NOT NULL,
    turn_id         TEXT NOT NULL,
    path            TEXT NOT NULL,
    recorded        INTEGER NOT NULL DEFAULT 1,
    before          TEXT,
    after           TEXT,
    PRIMARY KEY (conversation_id, turn_id, path),
    FOREIGN KEY (conversation_id, turn_id) REFERENCES turn_snapshots (conversation_id, turn_id)
        ON DELETE CASCADE
) WITHOUT ROWID;
