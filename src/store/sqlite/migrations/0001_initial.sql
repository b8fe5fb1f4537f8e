-- gatehouse store schema, version 1.
-- Ids are 16-byte UUID blobs; times are INTEGER unix microseconds (UTC); versions and the
-- revision are INTEGER; permission list fields are JSON arrays of strings.

CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

INSERT INTO meta (name, value) VALUES ('revision', 0);

CREATE TABLE users (
    id           BLOB PRIMARY KEY CHECK (length(id) = 16),
    username     TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('person', 'service')),
    disabled     INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    owner        INTEGER NOT NULL CHECK (owner IN (0, 1)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL
) STRICT;

CREATE TABLE roles (
    id          BLOB PRIMARY KEY CHECK (length(id) = 16),
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL
) STRICT;

CREATE TABLE teams (
    id           BLOB PRIMARY KEY CHECK (length(id) = 16),
    team_key     TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    default_role BLOB REFERENCES roles (id),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL
) STRICT;

CREATE INDEX teams_default_role ON teams (default_role) WHERE default_role IS NOT NULL;

CREATE TABLE permissions (
    id               BLOB PRIMARY KEY CHECK (length(id) = 16),
    catalog          TEXT NOT NULL,
    entity           TEXT NOT NULL,
    entity_uuid      TEXT,
    grants           TEXT NOT NULL CHECK (json_valid(grants)),
    denies           TEXT NOT NULL CHECK (json_valid(denies)),
    conditions       TEXT NOT NULL CHECK (json_valid(conditions)),
    query_attributes TEXT NOT NULL CHECK (json_valid(query_attributes)),
    read_attributes  TEXT NOT NULL CHECK (json_valid(read_attributes)),
    write_attributes TEXT NOT NULL CHECK (json_valid(write_attributes)),
    description      TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id           BLOB PRIMARY KEY CHECK (length(id) = 16),
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    user_id      BLOB NOT NULL REFERENCES users (id),
    read_only    INTEGER NOT NULL CHECK (read_only IN (0, 1)),
    expires_at   INTEGER,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    version      INTEGER NOT NULL
) STRICT;

CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE role_permissions (
    role_id       BLOB NOT NULL REFERENCES roles (id),
    permission_id BLOB NOT NULL REFERENCES permissions (id),
    PRIMARY KEY (role_id, permission_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX role_permissions_permission ON role_permissions (permission_id);

CREATE TABLE user_roles (
    user_id BLOB NOT NULL REFERENCES users (id),
    role_id BLOB NOT NULL REFERENCES roles (id),
    PRIMARY KEY (user_id, role_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE team_roles (
    team_id BLOB NOT NULL REFERENCES teams (id),
    role_id BLOB NOT NULL REFERENCES roles (id),
    PRIMARY KEY (team_id, role_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX team_roles_role ON team_roles (role_id);

CREATE TABLE team_members (
    team_id BLOB NOT NULL REFERENCES teams (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    role_id BLOB REFERENCES roles (id),
    PRIMARY KEY (team_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX team_members_user ON team_members (user_id);
CREATE INDEX team_members_role ON team_members (role_id) WHERE role_id IS NOT NULL;

-- A direct grant: exactly one of user_id / team_id is set.
CREATE TABLE grants (
    user_id       BLOB REFERENCES users (id),
    team_id       BLOB REFERENCES teams (id),
    permission_id BLOB NOT NULL REFERENCES permissions (id),
    CHECK ((user_id IS NULL) <> (team_id IS NULL))
) STRICT;

CREATE UNIQUE INDEX grants_user ON grants (user_id, permission_id);
CREATE UNIQUE INDEX grants_team ON grants (team_id, permission_id);
CREATE INDEX grants_permission ON grants (permission_id);

-- One row per effect; `seq` keeps the order of the effects inside one revision.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    revision    INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    UNIQUE (revision, seq)
) STRICT;

CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_actor ON audit (actor, revision);
