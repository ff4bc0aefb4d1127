"""Working on a phone with a poor connection: the web app manifest, the service worker, and
submissions that arrive exactly once (an idempotency key per submission, checked here)."""
