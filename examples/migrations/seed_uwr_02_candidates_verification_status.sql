-- The seed's candidate-information update: every candidate starts out pending verification.
ALTER TABLE candidates ADD COLUMN
  verification_status VARCHAR(20) DEFAULT 'pending';
