-- Volumes and snapshots had tables (V1) but no store service and no caller; no release wrote a row to them
-- (decision 0107). They go until an issue designs them. IF EXISTS: a migration interrupted by a kill is re-run.

DROP TABLE IF EXISTS volume_labels;
DROP TABLE IF EXISTS volumes;
DROP TABLE IF EXISTS snapshots;
