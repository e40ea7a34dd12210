"""The documents zdt writes for people: plan, log, compatibility and monitoring reports (jinja2)."""
