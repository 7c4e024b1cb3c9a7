"""Rounds and their deadlines, and the reminders planned from them."""
