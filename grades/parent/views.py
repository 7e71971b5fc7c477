"""The published gradebook of one student, for the student's guardians, the school's managers and the
student's homeroom teacher (students.permissions.guardian_of_student_required); anyone else gets 404."""

from django.shortcuts import render

from grades.parent.selectors import child_grades
from students.permissions import guardian_of_student_required


@guardian_of_student_required
def student_grades(request, pk):
    return render(request, "grades/parent_grades.html", {"child": child_grades(request.student)})
