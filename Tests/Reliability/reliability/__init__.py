"""The coupon-worker reliability and security suite (issue 9): real processes, real clients,
injected faults, counted outcomes. Entry point: Tests/Reliability/run.py."""
