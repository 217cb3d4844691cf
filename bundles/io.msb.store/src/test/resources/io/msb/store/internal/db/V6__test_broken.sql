-- Test-only migration that fails halfway: the first statement works, the second cannot.
ALTER TABLE sandboxes ADD COLUMN IF NOT EXISTS test_half VARCHAR(8);
ALTER TABLE no_such_table ADD COLUMN x INT;
