"""Call categories: the built-in outcome taxonomy (keys are API) plus each account's own."""
