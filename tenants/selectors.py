from django.db import connection

from schoolbook.caching import cached_part, rows_version
from schoolbook.text import search_fold
from tenants.models import School, SchoolAffiliation


def school_list(*, search: str = "", status: str = ""):
    """Schools for the console. The search ignores accents, case and hyphens, over the name, the code and
    the province: "nguyen du" and "nguyễn-du" find "Trường THCS Nguyễn Du" (code thcs-nguyen-du)."""
    schools = School.objects.exclude(schema_name="public").order_by("name")
    if search_fold(search):
        schools = schools.filter(search_folded__contains=search_fold(search))
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


def affiliation_sources(user) -> list[tuple]:
    """The rows the user's affiliations are made of: their affiliation rows and those schools (sources of
    schoolbook.caching.rows_version), for a part that shows them with other rows under one version."""
    mine = f"SELECT school_id FROM {SchoolAffiliation._meta.db_table} WHERE user_id = %s"
    return [
        (SchoolAffiliation._meta.db_table, "user_id = %s", [user.pk]),
        (School._meta.db_table, f"id IN ({mine})", [user.pk]),
    ]


def affiliations_load(user) -> list[SchoolAffiliation]:
    """affiliations_of_user read from the database, not cached."""
    return list(
        SchoolAffiliation.objects.filter(user=user, school__is_active=True)
        .select_related("school")
        .order_by("school__name")
    )


def affiliations_of_user(user) -> list[SchoolAffiliation]:
    """The user's affiliations with active schools (staff and/or guardian) with their schools, by school
    name, from the public index: "my schools" without visiting every schema. Kept per user under a version
    of the user's affiliation rows and those schools (schoolbook.caching), whatever writes them (imports
    write them in bulk)."""
    return cached_part(
        "affiliations",
        schemas=["public"],
        viewer=user.pk,
        version=rows_version(*affiliation_sources(user)),
        build=lambda: (affiliations_load(user), None),
    )
