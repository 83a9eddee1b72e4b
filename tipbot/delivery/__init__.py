"""Daily delivery: schedule maths, rotation, the sweep and the rate-limited sender."""
