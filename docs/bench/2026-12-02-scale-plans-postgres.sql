\pset pager off
SELECT coalesce((SELECT user_id FROM tokens ORDER BY id DESC LIMIT 1), 500001) AS uid \gset
SELECT coalesce((SELECT hash FROM tokens ORDER BY id DESC LIMIT 1), '\x00'::bytea) AS th \gset
SELECT coalesce((SELECT user_id FROM reset_tokens ORDER BY id DESC LIMIT 1), 500001) AS ruid \gset
SELECT email_key AS key FROM users WHERE id = :ruid \gset
BEGIN;
\echo '-- 1 user by email key (UserByEmailKey: login, reset worker)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id, email, email_key, password_hash FROM users WHERE email_key = :'key';
\echo '-- 2 token by hash (TokenByHash)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id, user_id, kind FROM tokens WHERE hash = :'th';
\echo '-- 3 reset tokens of a user in the last hour (CountResetTokens)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT count(*) FROM reset_tokens WHERE user_id = :ruid AND created_at >= now() - interval '1 hour';
\echo '-- 4 reset token by hash (ResetTokenByHash)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id, user_id FROM reset_tokens WHERE hash = '\x00112233';
\echo '-- 5 lock the user (LockUser: reset worker, login)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM users WHERE id = :ruid FOR UPDATE;
\echo '-- 6 outbox insert (EnqueueMail)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) INSERT INTO mail_outbox (kind, recipient, locale, data, message_id, status, attempts, last_error, created_at, next_at, sent_at) VALUES ('reset_request', 'a@b.c', '', '{}', 'x', 'queued', 0, '', now(), now(), NULL) RETURNING id;
\echo '-- 7 outbox claim (ClaimMail)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) WITH due AS MATERIALIZED (SELECT id FROM mail_outbox WHERE status = 'queued' AND next_at <= now() ORDER BY next_at, id LIMIT 12 FOR UPDATE SKIP LOCKED) UPDATE mail_outbox SET attempts = attempts + 1, next_at = now() + interval '1 minute' WHERE id IN (SELECT id FROM due) RETURNING id;
\echo '-- 8 login: last login (SetLastLogin)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) UPDATE users SET last_login = now() WHERE id = :uid;
\echo '-- 9 login: the session cap (RevokeOldLoginTokens, both statements)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) UPDATE tokens SET revoked_at = now() WHERE id IN (SELECT id FROM tokens WHERE user_id = :uid AND kind = 'login' AND revoked_at IS NULL AND created_at > now() - interval '30 days' AND coalesce(last_used_at, created_at) > now() - interval '30 days' ORDER BY id DESC OFFSET 99);
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) UPDATE tokens SET revoked_at = now() WHERE user_id = :uid AND kind = 'login' AND revoked_at IS NULL AND NOT (created_at > now() - interval '30 days' AND coalesce(last_used_at, created_at) > now() - interval '30 days');
\echo '-- 10 login: the sign-in device (SignInDevice, SaveSignInDevice, PruneSignInDevices)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT signed_in_at, passed_at FROM signin_devices WHERE user_id = :uid AND network = '127.0.0.0/24' AND browser = 'Go';
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) DELETE FROM signin_devices WHERE user_id = :uid AND last_at < now() - interval '90 days';
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) DELETE FROM signin_devices WHERE user_id = :uid AND id NOT IN (SELECT id FROM signin_devices WHERE user_id = :uid ORDER BY last_at DESC, id DESC LIMIT 50);
\echo '-- 11 login: the active second factor (ActiveTwoFactorMethod)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM twofa_methods WHERE user_id = :uid AND active;
\echo '-- 13 unknown address notice cap (CountMail; only with ACCOUNTD_RESET_NOTIFY_UNKNOWN=true)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT count(*) FROM mail_outbox WHERE kind = 'reset_no_account' AND recipient = 'ghost@x.org' AND created_at >= now() - interval '1 hour';
ROLLBACK;
