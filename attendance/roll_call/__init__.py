"""Roll calls: the staff member's day, a class's roll call (session or period), the marks it writes and the
absence alerts to guardians that follow."""
