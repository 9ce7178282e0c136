-- Long strings (a pasted log, an image URL, a command's output) stored once per conversation:
-- items and events with refs = 1 carry {"$text": "<sha256>"} in their place (store/texts.py).
CREATE TABLE texts (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    hash            TEXT NOT NULL,
    body            TEXT NOT NULL,
    PRIMARY KEY (conversation_id, hash)
);

ALTER TABLE items ADD COLUMN refs INTEGER NOT NULL DEFAULT 0;

ALTER TABLE events ADD COLUMN refs INTEGER NOT NULL DEFAULT 0;
