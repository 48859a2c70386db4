"""Getting practices onto the Synchronizer: institutions, enrollments and their
lifecycle, matching, consent, syncs and installs, activations, deactivations, billing."""
