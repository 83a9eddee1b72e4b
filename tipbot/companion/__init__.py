"""The companion's domain: profile, tips that fit, dose schedules, label rules and the dose log.

Plain data and functions only, testable without Telegram; handlers and outbox rows are built on
these later.
"""
