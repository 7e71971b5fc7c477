"""Attendance statistics: per day, per month, per class and month, the students near the absence limit,
the managers' tiles on the school home, and the district export."""
