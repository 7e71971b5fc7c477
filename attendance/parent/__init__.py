"""The parent's attendance page: one child's month of absences and late arrivals."""
