"""One claim, lease and backoff mechanism for background work, and the timer sweep built on it."""
