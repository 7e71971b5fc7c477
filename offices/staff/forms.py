"""The office head's form for adding a colleague."""

from offices.setup.forms import StaffForm


class SpecialistForm(StaffForm):
    """The console's staff form without the role: a head adds specialists; heads are appointed in the
    platform console."""

    role = None
