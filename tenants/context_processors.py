def school(request):
    """The school's name and links only for its own people: an outsider's 404 must not say which school."""
    tenant = getattr(request, "tenant", None)
    staff, guardian = getattr(request, "staff", None), getattr(request, "guardian", None)
    if tenant is None or tenant.schema_name == "public" or (staff is None and guardian is None):
        return {"school": None, "staff": None, "guardian": None}
    return {"school": tenant, "staff": staff, "guardian": guardian}
