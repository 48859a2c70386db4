"""Scale benchmarks: a seeded data generator (`python -m benchmarks.generate`) and measured
scenarios against stock Flask-Admin and raw SQL (`python -m benchmarks.run`)."""
