"""Helpers for conversation tests: drive the bot through the whole PTB stack, in-process."""
