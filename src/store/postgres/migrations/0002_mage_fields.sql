-- Mage's fields a Mage admin edits or reads (docs/MAGE.md §1): a user's first and last name,
-- the creator of a role or permission, and a permission's entity type and scope. Existing rows
-- get empty names, no creator, no entity type and no scope.
ALTER TABLE users ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
ALTER TABLE roles ADD COLUMN created_by UUID;
ALTER TABLE permissions ADD COLUMN entity_type TEXT;
ALTER TABLE permissions ADD COLUMN scope TEXT;
ALTER TABLE permissions ADD COLUMN created_by UUID;
