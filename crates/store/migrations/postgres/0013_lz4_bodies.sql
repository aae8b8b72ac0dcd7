-- Webhook bodies (20-30 KB each) and cached GitHub answers are compressed with lz4 rather than
-- PostgreSQL's default pglz: in the ingest flood of issue 14, pglz_compress was the largest
-- single cost on the database's side (13% of all CPU samples on the two cores), and lz4
-- compresses several times faster at a similar ratio for JSON. Only new values are affected;
-- existing ones are read as they are. A server built without lz4 (or older than PostgreSQL 14)
-- keeps pglz: the change is a speed-up, never a condition.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE deliveries ALTER COLUMN body SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE http_cache ALTER COLUMN body SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'lz4 compression unavailable (%); bodies stay pglz-compressed', SQLERRM;
END
$$;
