"""The absence limit of the regulations, as a plain rule (no Django): how many sessions (buổi) a student may
miss in a school year, excused and unexcused together, and the warning levels the pages and the district
export show before and after it."""

# Circular 22: more than this and the student is not promoted. The same figure as
# grades.rules.circular22.MAX_ABSENCES, kept here so that attendance does not depend on grades (its sibling).
LIMIT = 45
WARN_FROM = 35  # from here: "sắp đến giới hạn", ten sessions (a school week) before the limit
OK, NEAR, OVER = "ok", "near", "over"


def absence_level(total: int) -> str:
    if total > LIMIT:
        return OVER
    return NEAR if total >= WARN_FROM else OK
