-- spec-kit's /speckit.auto: one row per pipeline run, its state machine's state written after
-- every transition (so a killed server's run resumes where it stopped), and the process that
-- drives it (owner: "<pid>:<start ticks>", NULL when none does), which makes a run single flight
-- across every server on this store. Its quality-gate issues are rows of their own: an answer
-- given in the editor and the run's next transition never overwrite each other.
CREATE TABLE speckit_auto_runs (
    id               TEXT PRIMARY KEY,
    workspace        TEXT NOT NULL,
    spec_id          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN
                         ('running', 'waiting', 'stopped', 'interrupted', 'completed', 'superseded')),
    state_json       TEXT NOT NULL,
    owner            TEXT,
    conversation_id  TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       REAL NOT NULL,
    updated_at       REAL NOT NULL
);

CREATE INDEX speckit_auto_runs_by_spec ON speckit_auto_runs (workspace, spec_id, updated_at DESC);

CREATE TABLE speckit_gate_issues (
    run_id       TEXT NOT NULL REFERENCES speckit_auto_runs (id) ON DELETE CASCADE,
    checkpoint   TEXT NOT NULL,
    issue_id     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'auto-fixed', 'answered', 'dismissed')),
    magnitude    TEXT NOT NULL CHECK (magnitude IN ('critical', 'important', 'minor')),
    file         TEXT,
    line         INTEGER,
    issue_json   TEXT NOT NULL,
    answer       TEXT,
    backup       TEXT,
    answered_at  REAL,
    PRIMARY KEY (run_id, checkpoint, issue_id)
);

CREATE INDEX speckit_gate_issues_open ON speckit_gate_issues (status, run_id);
