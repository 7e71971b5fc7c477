"""Who may do what with timetables. Failing is a 404 (schoolbook.permissions)."""

from accounts.roles import Role
from students.permissions import MANAGERS

EDITORS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)  # enter and import timetables, set the periods
READERS = (Role.TEACHER, *MANAGERS)  # a week of their own; managers any class's
