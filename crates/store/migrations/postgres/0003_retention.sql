-- Retention: processed deliveries and old actions are deleted in batches by age, so these indexes
-- let each batch find its oldest rows without scanning the table.
CREATE INDEX deliveries_processed_by_age ON deliveries (received_at) WHERE processed_at IS NOT NULL;
CREATE INDEX actions_by_age ON actions (acted_at);
