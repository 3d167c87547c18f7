-- Every version of a patient's data, found by its patient (see the SQLite migration of the same number).
CREATE INDEX ix_resource_compartment_retired ON resource (compartment) WHERE is_current = 0;
CREATE INDEX ix_resource_compartment_deleted ON resource (compartment) WHERE is_deleted = 1;
CREATE INDEX ix_resource_deleted_updated ON resource (resource_type, last_updated) WHERE is_current = 1 AND is_deleted = 1;
