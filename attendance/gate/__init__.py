"""The school gate: the devices and their events API, the late marks and messages an arrival brings, the
review list of events for unknown students, and the school's attendance settings."""
