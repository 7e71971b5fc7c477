from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradesConfig(AppConfig):
    name = "grades"
    verbose_name = _("Sổ điểm")

    def ready(self):
        from grades.marks import GradebookMarks
        from students import marks

        marks.keeper_register(GradebookMarks())
