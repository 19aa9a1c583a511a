"""Relationship insights: pure functions from index records to ranked suggestions, each
with its evidence. No click, no SQL, no clock: the command hands them what they need."""
