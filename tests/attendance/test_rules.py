"""The absence limit attendance counts against is the one promotion is decided on."""

from attendance import rules
from grades.rules.circular22 import MAX_ABSENCES


def test_the_limit_is_circular_22s():
    assert rules.LIMIT == MAX_ABSENCES
