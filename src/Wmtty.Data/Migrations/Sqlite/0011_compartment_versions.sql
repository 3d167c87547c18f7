-- Every version of a patient's data, found by its patient: what the right of access ($everything) returns and what
-- erasure ($erase, and the retention job) deletes. ix_resource_compartment covers live current versions only; these
-- two cover the rest, retired versions and deletions, so neither reads the whole resource table. A version enters
-- the first when a later one replaces it: one index row a replacement, written with the retirement. The third finds
-- deleted Patients by age, for the retention job (live ones are found by ix_resource_live_updated).
CREATE INDEX ix_resource_compartment_retired ON resource (compartment) WHERE is_current = 0;
CREATE INDEX ix_resource_compartment_deleted ON resource (compartment) WHERE is_deleted = 1;
CREATE INDEX ix_resource_deleted_updated ON resource (resource_type, last_updated) WHERE is_current = 1 AND is_deleted = 1;
