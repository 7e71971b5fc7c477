"""The published gradebook of one student, for the student's guardians, the school's managers and the
student's homeroom teacher (students.permissions.guardian_of_student_required); anyone else gets 404.

The page's content is kept per school, viewer and version of the rows it shows (grades_version), and for no
longer than until its "this week" changes by itself: most views cost one query for the version."""

from django.db import connection
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from grades.parent.selectors import child_grades, grades_version
from schoolbook.caching import cached_part
from students.permissions import guardian_of_student_required


@guardian_of_student_required(profile=False)
def student_grades(request, pk):
    student = request.student

    def build():
        child = child_grades(student)
        until = child.week_until and (child.week_until - timezone.now()).total_seconds()
        return render_to_string("grades/_parent_grades.html", {"child": child}), until

    content = cached_part(
        "parent-grades",
        schemas=[connection.schema_name],
        viewer=request.user.pk,
        version=(student.pk, student.current_class_id, grades_version(student)),
        build=build,
    )
    return render(request, "grades/parent_grades.html", {"student": student, "content": content})
