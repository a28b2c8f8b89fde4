.print '-- 1 user by email key (UserByEmailKey: login, reset worker)'
EXPLAIN QUERY PLAN SELECT id, email, email_key, password_hash FROM users WHERE email_key = 'bench-seed-0500000@bench.example.org';
.print '-- 2 token by hash (TokenByHash: every authenticated request)'
EXPLAIN QUERY PLAN SELECT id, user_id, kind FROM tokens WHERE hash = X'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
.print '-- 3 reset tokens of a user in the last hour (CountResetTokens: the per-address cap)'
EXPLAIN QUERY PLAN SELECT count(*) FROM reset_tokens WHERE user_id = 500001 AND created_at >= 1796200000000000;
.print '-- 4 reset token by hash (ResetTokenByHash: check and complete)'
EXPLAIN QUERY PLAN SELECT id, user_id FROM reset_tokens WHERE hash = X'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
.print '-- 5 outbox insert (EnqueueMail)'
EXPLAIN QUERY PLAN INSERT INTO mail_outbox (kind, recipient, locale, data, message_id, status, attempts, last_error, created_at, next_at, sent_at) VALUES ('reset_request', 'a@b.c', '', '{}', 'x', 'queued', 0, '', 1, 1, NULL) RETURNING id;
.print '-- 6 outbox claim (ClaimMail)'
EXPLAIN QUERY PLAN UPDATE mail_outbox SET attempts = attempts + 1, next_at = 2 WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'queued' AND next_at <= 1796200000000000 ORDER BY next_at, id LIMIT 12) RETURNING id;
.print '-- 7 outbox update after resolve/delivery (UpdateMail)'
EXPLAIN QUERY PLAN UPDATE mail_outbox SET status = 'sent' WHERE id = 5 AND (1 IS NULL OR (status = 'queued' AND next_at = 1));
.print '-- 8 login: last login (SetLastLogin)'
EXPLAIN QUERY PLAN UPDATE users SET last_login = 1 WHERE id = 500001;
.print '-- 9 login: the session cap (RevokeOldLoginTokens, both statements)'
EXPLAIN QUERY PLAN UPDATE tokens SET revoked_at = 1 WHERE id IN (SELECT id FROM tokens WHERE user_id = 500001 AND kind = 'login' AND revoked_at IS NULL AND (1 IS NULL OR created_at > 1) AND (1 IS NULL OR coalesce(last_used_at, created_at) > 1) ORDER BY id DESC LIMIT -1 OFFSET 99);
EXPLAIN QUERY PLAN UPDATE tokens SET revoked_at = 1 WHERE user_id = 500001 AND kind = 'login' AND revoked_at IS NULL AND NOT ((1 IS NULL OR created_at > 1) AND (1 IS NULL OR coalesce(last_used_at, created_at) > 1));
.print '-- 10 login: the sign-in device (SignInDevice, SaveSignInDevice, PruneSignInDevices)'
EXPLAIN QUERY PLAN SELECT signed_in_at, passed_at FROM signin_devices WHERE user_id = 500001 AND network = '127.0.0.0/24' AND browser = 'Go';
EXPLAIN QUERY PLAN INSERT INTO signin_devices (user_id, network, browser, signed_in_at, passed_at, last_at) VALUES (500001, 'n', 'b', 1, NULL, 1) ON CONFLICT (user_id, network, browser) DO UPDATE SET signed_in_at = excluded.signed_in_at, passed_at = excluded.passed_at, last_at = excluded.last_at;
EXPLAIN QUERY PLAN DELETE FROM signin_devices WHERE user_id = 500001 AND last_at < 1;
EXPLAIN QUERY PLAN DELETE FROM signin_devices WHERE user_id = 500001 AND id NOT IN (SELECT id FROM signin_devices WHERE user_id = 500001 ORDER BY last_at DESC, id DESC LIMIT 50);
.print '-- 11 login: the active second factor (ActiveTwoFactorMethod)'
EXPLAIN QUERY PLAN SELECT id FROM twofa_methods WHERE user_id = 500001 AND active = 1;
.print '-- 12 token insert (CreateToken), event insert (AddEvent)'
EXPLAIN QUERY PLAN INSERT INTO tokens (user_id, kind, hash, label, prefix, created_at, updated_at, revoked_at, last_used_at, ip, user_agent, twofa_pending) VALUES (1, 'login', X'01', '', '', 1, NULL, NULL, 1, '', '', 0) RETURNING id;
EXPLAIN QUERY PLAN INSERT INTO events (time, type, user_id, email, email_key, ip, user_agent, detail) VALUES (1, 'login', 1, '', '', '', '', '') RETURNING id;
.print '-- 13 unknown address notice cap (CountMail; only with ACCOUNTD_RESET_NOTIFY_UNKNOWN=true)'
EXPLAIN QUERY PLAN SELECT count(*) FROM mail_outbox WHERE kind = 'reset_no_account' AND recipient = 'ghost@x.org' AND created_at >= 1;
