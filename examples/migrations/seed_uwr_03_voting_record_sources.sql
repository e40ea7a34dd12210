-- The seed's voting-record enhancement: where imported voting records come from.
CREATE TABLE voting_record_sources (
  id SERIAL PRIMARY KEY,
  source_name VARCHAR(100) NOT NULL,
  api_endpoint VARCHAR(255),
  last_updated TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
