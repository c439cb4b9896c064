"""Suggestions: candidate replies and KB links for an analysed ticket, ranked and explained."""
