-- When a relation ends (access that expires): a user's role, a team's role, a team membership
-- or a direct grant may carry an end, in unix microseconds like the other times; NULL is no
-- end, which every existing row keeps. A role's permissions never end (no column).
-- The partial indexes hold only the links that end: a load reads the ends from them, and a
-- cleanup finds the links whose end has passed without scanning the link tables. In the
-- WITHOUT ROWID tables an index carries the primary key; the grants' index carries its ids.
ALTER TABLE user_roles ADD COLUMN expires_at INTEGER;
ALTER TABLE team_roles ADD COLUMN expires_at INTEGER;
ALTER TABLE team_members ADD COLUMN expires_at INTEGER;
ALTER TABLE grants ADD COLUMN expires_at INTEGER;
CREATE INDEX user_roles_expires ON user_roles (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX team_roles_expires ON team_roles (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX team_members_expires ON team_members (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX grants_expires ON grants (expires_at, user_id, team_id, permission_id)
    WHERE expires_at IS NOT NULL;
