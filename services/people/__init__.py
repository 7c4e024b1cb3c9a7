"""People and invites: users, organisations, members, roles, languages, organisations imported
at scale."""
