def school(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public" or getattr(request, "staff", None) is None:
        return {"school": None, "staff": None}
    return {"school": tenant, "staff": getattr(request, "staff", None)}
