"""Ticket understanding: cleaning, intent, sentiment and emotion heads, and the escalation policy."""
