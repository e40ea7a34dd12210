-- The seed's audit trail for payment modifications.
CREATE TABLE payment_audit_log (
  id SERIAL PRIMARY KEY,
  payment_id INTEGER REFERENCES payment_records(id),
  action VARCHAR(50) NOT NULL,
  changed_by INTEGER REFERENCES users(id),
  changed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  change_details JSONB
);
