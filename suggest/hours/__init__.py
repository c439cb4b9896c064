"""Service hours: the team calendar and how its promises are worded in each language."""
