-- Test-only second migration: proves an upgrade from V1 keeps data and records version 2.
ALTER TABLE sandboxes ADD COLUMN IF NOT EXISTS test_note VARCHAR(64) DEFAULT 'migrated';
