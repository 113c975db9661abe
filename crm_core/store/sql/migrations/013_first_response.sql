-- Version 13: the first answer to a service case. Time to first response (opened_at ->
-- first_response_at) and time to resolution (opened_at -> resolved_at) are the two speeds
-- of the Service page; files without it leave it empty, and the page then bands by
-- resolution only.
ALTER TABLE service_interactions ADD COLUMN first_response_at TIMESTAMP;
