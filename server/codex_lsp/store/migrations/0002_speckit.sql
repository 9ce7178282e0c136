-- spec-kit: one row per stage run (every attempt is kept; the latest per SPEC and stage is the
-- current one) and one row per agent of that run. `workspace` keeps two projects' SPEC-KIT-001
-- apart in the one store every project shares.
CREATE TABLE consensus_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace      TEXT NOT NULL,
    spec_id        TEXT NOT NULL,
    stage          TEXT NOT NULL,
    attempt        INTEGER NOT NULL,
    consensus_ok   INTEGER NOT NULL,
    degraded       INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL CHECK (status IN ('ok', 'degraded', 'conflict', 'failed')),
    synthesis_json TEXT,
    agreements     TEXT NOT NULL DEFAULT '[]',
    conflicts      TEXT NOT NULL DEFAULT '[]',
    created_at     REAL NOT NULL,
    UNIQUE (workspace, spec_id, stage, attempt)
);

CREATE INDEX consensus_runs_by_spec ON consensus_runs (workspace, spec_id, stage, attempt DESC);

CREATE TABLE agent_outputs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id          INTEGER NOT NULL REFERENCES consensus_runs (id) ON DELETE CASCADE,
    agent           TEXT NOT NULL,
    model           TEXT NOT NULL,
    role            TEXT NOT NULL DEFAULT 'agent',
    content_json    TEXT,
    response_text   TEXT,
    error           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 1,
    usage           TEXT,
    cost            REAL NOT NULL DEFAULT 0,
    conversation_id TEXT,
    created_at      REAL NOT NULL
);

CREATE INDEX agent_outputs_by_run ON agent_outputs (run_id);
