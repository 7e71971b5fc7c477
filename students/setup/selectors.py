"""Reads for the setup pages (managers of the school)."""

from django.db.models import Count, Prefetch, Q

from students.models import GradeLevel, SchoolYear, Subject, SubjectLoad, Term


def years_with_terms():
    """Every school year, newest first, with its terms, its number of (not archived) classes and of days
    off."""
    return (
        SchoolYear.objects.prefetch_related(Prefetch("terms", queryset=Term.objects.order_by("number")))
        .annotate(
            class_count=Count("classes", filter=Q(classes__archived_at__isnull=True), distinct=True),
            day_off_count=Count("days_off", distinct=True),
        )
        .order_by("-starts_on")
    )


def grade_catalogue(grade: GradeLevel) -> list[dict]:
    """The subjects of the grade's level, each with its periods per year in this grade (None when not
    taught there): what the catalogue page edits."""
    loads = dict(SubjectLoad.objects.filter(grade=grade).values_list("subject_id", "periods_per_year"))
    return [
        {"subject": subject, "periods": loads.get(subject.pk)}
        for subject in Subject.objects.filter(level=grade.level).order_by("-is_active", "order", "name")
    ]
