"""Routing a request to its school: /s/<code>/ selects the school, its schema and its URLconf."""

from django.conf import settings
from django.db import connection
from django.http import Http404
from django.urls import set_urlconf
from django.utils.translation import gettext
from django_tenants.middleware.subfolder import TenantSubfolderMiddleware

from tenants.routing import school_for_code, school_urlconf


class SchoolRoutingMiddleware(TenantSubfolderMiddleware):
    """Selects the school from /s/<code>/ (or the public schema) and its cached URLconf."""

    def process_request(self, request):
        prefix = f"/{settings.TENANT_SUBFOLDER_PREFIX}/"
        if not request.path_info.startswith(prefix):
            if connection.schema_name != "public":
                connection.set_schema_to_public()
            request.tenant = connection.tenant
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return
        code = request.path_info[len(prefix) :].split("/", 1)[0]
        school = school_for_code(code)
        if school is None:
            raise Http404(gettext("Không có trường này."))
        school.domain_subfolder = code
        request.tenant = school
        if connection.schema_name == school.schema_name:
            # Same schema as this connection's last request: its search_path is already right, and
            # set_tenant() would make the next query pay for another SET search_path round trip.
            connection.tenant = school
        else:
            connection.set_tenant(school)
        request.urlconf = school_urlconf(code)
        set_urlconf(request.urlconf)
