-- The seed's payment-security migration: room for encrypted payment details.
ALTER TABLE payment_records ADD COLUMN
  encrypted_details TEXT;
