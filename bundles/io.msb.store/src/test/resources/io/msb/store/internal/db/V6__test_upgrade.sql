-- Test-only migration after the real ones: proves an upgrade keeps data and records version 6.
ALTER TABLE sandboxes ADD COLUMN IF NOT EXISTS test_note VARCHAR(64) DEFAULT 'migrated';
