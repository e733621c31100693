"""What `stats` and the morning report compute: periods, summaries, workload,
goals and breaches, the report's model -- over the store's SQL aggregates."""
