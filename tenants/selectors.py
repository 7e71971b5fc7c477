from django.db import connection
from django.db.models import Q

from tenants.models import School


def school_list(*, search: str = "", status: str = ""):
    schools = School.objects.exclude(schema_name="public").order_by("name")
    if search:
        schools = schools.filter(
            Q(name__icontains=search) | Q(code__icontains=search) | Q(province__icontains=search)
        )
    if status == "active":
        schools = schools.filter(is_active=True)
    elif status == "suspended":
        schools = schools.filter(is_active=False)
    return schools


def school_counts(schools) -> dict[int, dict[str, int]]:
    """Staff per school for a page of schools, in one query across their schemas."""
    schools = list(schools)
    if not schools:
        return {}
    parts = [
        f'SELECT %s, (SELECT count(*) FROM "{school.schema_name}".students_staffmember WHERE is_active)'
        for school in schools
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), [school.pk for school in schools])
        return {school_id: {"staff": staff} for school_id, staff in cursor.fetchall()}


def schools_of_user(user):
    """Active schools where the user has a role, from the public index."""
    return School.objects.filter(affiliations__user=user, is_active=True).order_by("name")
