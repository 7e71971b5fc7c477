"""The offices' pages and the console's pages for them, in the public URLconf."""

from django.urls import path

from offices.dashboard import views as dashboard
from offices.links import views as links
from offices.requests import views as requests
from offices.setup import views as setup
from offices.staff import views as staff

urlpatterns = [
    path("office/", dashboard.office_home, name="office_home"),
    path("office/<slug:code>/", dashboard.office_dashboard, name="office_dashboard"),
    path("office/<slug:code>/export.csv", dashboard.office_export, name="office_export"),
    path("office/<slug:code>/requests/", requests.request_list, name="office_requests"),
    path("office/<slug:code>/requests/new/", requests.request_new, name="office_request_new"),
    path("office/<slug:code>/requests/<int:pk>/", requests.request_detail, name="office_request"),
    path(
        "office/<slug:code>/requests/<int:pk>/export.csv",
        requests.request_export,
        name="office_request_export",
    ),
    path(
        "office/<slug:code>/requests/<int:pk>/schools/<slug:school_code>/",
        requests.submission_detail,
        name="office_submission",
    ),
    path(
        "office/<slug:code>/requests/<int:pk>/schools/<slug:school_code>/file/",
        requests.submission_file,
        name="office_submission_file",
    ),
    path("office/<slug:code>/links/", links.office_links, name="office_links"),
    path("office/<slug:code>/links/replay/", links.office_links_replay, name="office_links_replay"),
    path("office/<slug:code>/staff/", staff.staff_list, name="office_staff"),
    path("office/<slug:code>/staff/<int:seat_id>/remove/", staff.staff_remove, name="office_staff_remove"),
    path("console/offices/", setup.console_offices, name="console_offices"),
    path("console/offices/<slug:code>/", setup.console_office, name="console_office"),
    path("console/offices/<slug:code>/link/", links.console_office_link, name="console_office_link"),
    path(
        "console/offices/<slug:code>/schools/<slug:school_code>/withdraw/",
        setup.console_office_withdraw,
        name="console_office_withdraw",
    ),
    path(
        "console/offices/<slug:code>/staff/<int:seat_id>/remove/",
        setup.console_office_staff_remove,
        name="console_office_staff_remove",
    ),
]
