"""Call analysis: the job that turns a stored recording into a redacted transcript."""
