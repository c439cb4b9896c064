"""Retraining on a team's historical tickets: import, train, evaluate, version."""
