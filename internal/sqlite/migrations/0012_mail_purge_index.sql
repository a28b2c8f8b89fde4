-- The retention purge (PurgeMail) finds sent and suppressed mail by age.
-- Without this index it read every sent row of the outbox through
-- mail_outbox_due and sorted them, once per chunk of 1,000: hours on a month
-- of 10^7 sent emails (docs/benchmarks.md#a-month-of-history-issue-21). The
-- index is partial, so queueing a mail (the reset request's insert) does not
-- touch it: a row enters it when the worker marks it sent or suppressed.
CREATE INDEX mail_outbox_purge ON mail_outbox(created_at) WHERE status IN ('sent', 'suppressed');
