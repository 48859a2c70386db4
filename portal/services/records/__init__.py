"""The health records behind the API: sandbox seeds, patients, appointments,
providers, what a caller may reach, and sync status as the API reports it."""
