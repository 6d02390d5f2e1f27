"""The durable job queue: a jobs table for state, Huey for delivery."""
