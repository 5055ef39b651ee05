-- Old login attempts, sessions and idempotency keys are pruned at each login; these indexes keep it cheap.
CREATE INDEX login_attempts_at ON login_attempts (at);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);
