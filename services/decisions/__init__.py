"""Decisions and the ledger: the ranking on stored totals, honours and payments, the subsidy
due, and what is handed upward."""
