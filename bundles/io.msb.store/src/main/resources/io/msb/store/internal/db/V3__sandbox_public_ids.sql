-- The cloud API addresses a sandbox by a UUID that is never reused (decision 1015): a random id kept with the
-- row, so a sandbox removed and created again under its name gets a new one. Rows written before this
-- migration get a random id here. IF NOT EXISTS and the WHERE: a migration interrupted by a kill is re-run.

ALTER TABLE sandboxes ADD COLUMN IF NOT EXISTS public_id UUID;
UPDATE sandboxes SET public_id = RANDOM_UUID() WHERE public_id IS NULL;
ALTER TABLE sandboxes ALTER COLUMN public_id SET NOT NULL;
ALTER TABLE sandboxes ADD CONSTRAINT IF NOT EXISTS sandboxes_public_id_unique UNIQUE (public_id);
