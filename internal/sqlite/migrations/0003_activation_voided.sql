-- Activation tokens can be voided (issue 12 A4/A10): a password change, a
-- reset or a change of address ends every outstanding one.
ALTER TABLE activations ADD COLUMN voided_at INTEGER;
