-- gatehouse PostgreSQL store schema, version 1 (the same tables as the SQLite store).
-- Ids are UUIDs; times are TIMESTAMPTZ (whole microseconds, UTC); versions and the revision
-- are BIGINT; permission list fields are TEXT arrays; audit before/after are JSON text.

CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

INSERT INTO meta (name, value) VALUES ('revision', 0);

CREATE TABLE users (
    id           UUID PRIMARY KEY,
    username     TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('person', 'service')),
    disabled     BOOLEAN NOT NULL,
    owner        BOOLEAN NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    version      BIGINT NOT NULL
);

CREATE TABLE roles (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    version     BIGINT NOT NULL
);

CREATE TABLE teams (
    id           UUID PRIMARY KEY,
    team_key     TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    default_role UUID REFERENCES roles (id),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    version      BIGINT NOT NULL
);

CREATE INDEX teams_default_role ON teams (default_role) WHERE default_role IS NOT NULL;

CREATE TABLE permissions (
    id               UUID PRIMARY KEY,
    catalog          TEXT NOT NULL,
    entity           TEXT NOT NULL,
    entity_uuid      TEXT,
    grants           TEXT[] NOT NULL,
    denies           TEXT[] NOT NULL,
    conditions       TEXT[] NOT NULL,
    query_attributes TEXT[] NOT NULL,
    read_attributes  TEXT[] NOT NULL,
    write_attributes TEXT[] NOT NULL,
    description      TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    version          BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           UUID PRIMARY KEY,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    user_id      UUID NOT NULL REFERENCES users (id),
    read_only    BOOLEAN NOT NULL,
    expires_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    version      BIGINT NOT NULL
);

CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE role_permissions (
    role_id       UUID NOT NULL REFERENCES roles (id),
    permission_id UUID NOT NULL REFERENCES permissions (id),
    PRIMARY KEY (role_id, permission_id)
);

CREATE INDEX role_permissions_permission ON role_permissions (permission_id);

CREATE TABLE user_roles (
    user_id UUID NOT NULL REFERENCES users (id),
    role_id UUID NOT NULL REFERENCES roles (id),
    PRIMARY KEY (user_id, role_id)
);

CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE team_roles (
    team_id UUID NOT NULL REFERENCES teams (id),
    role_id UUID NOT NULL REFERENCES roles (id),
    PRIMARY KEY (team_id, role_id)
);

CREATE INDEX team_roles_role ON team_roles (role_id);

CREATE TABLE team_members (
    team_id UUID NOT NULL REFERENCES teams (id),
    user_id UUID NOT NULL REFERENCES users (id),
    role_id UUID REFERENCES roles (id),
    PRIMARY KEY (team_id, user_id)
);

CREATE INDEX team_members_user ON team_members (user_id);
CREATE INDEX team_members_role ON team_members (role_id) WHERE role_id IS NOT NULL;

-- A direct grant: exactly one of user_id / team_id is set.
CREATE TABLE grants (
    user_id       UUID REFERENCES users (id),
    team_id       UUID REFERENCES teams (id),
    permission_id UUID NOT NULL REFERENCES permissions (id),
    CHECK ((user_id IS NULL) <> (team_id IS NULL))
);

CREATE UNIQUE INDEX grants_user ON grants (user_id, permission_id);
CREATE UNIQUE INDEX grants_team ON grants (team_id, permission_id);
CREATE INDEX grants_permission ON grants (permission_id);

-- One row per effect; `seq` keeps the order of the effects inside one revision.
CREATE TABLE audit (
    id          BIGSERIAL PRIMARY KEY,
    revision    BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before_json JSON,
    after_json  JSON,
    UNIQUE (revision, seq)
);

CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_actor ON audit (actor, revision);
