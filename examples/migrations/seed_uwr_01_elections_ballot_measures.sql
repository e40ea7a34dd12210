-- The seed's civic-data migration: ballot measures stored on each election.
ALTER TABLE elections ADD COLUMN
  ballot_measures JSONB DEFAULT '[]';
