-- coinlake schema, version 4: the dashboard finds the newest listings snapshot from the ledger
-- on every request (max(data_ts) of endpoint 'listings_latest'). With this index that is one
-- index probe however many objects of other endpoints came after it (with only the data_ts
-- index, a listings outage makes the backward scan step over every later object). The ledger
-- gains one small index entry per loaded object; quotes is untouched.
CREATE INDEX IF NOT EXISTS lake_objects_endpoint_data_ts ON lake_objects (endpoint, data_ts);
