"""Reads about offices that several of its pages need: the offices a person works for."""

from offices.models import EducationOffice


def offices_of_user(user):
    return EducationOffice.objects.filter(staff__user=user).order_by("name")
