"""Who signs in and with what: users, members, invitations, throttling, practice
sessions, API keys and tokens, the upgrade to production."""
