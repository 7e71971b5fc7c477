"""The gradebook's routes under /s/<code>/grades/; each feature package keeps its own in its urls.py."""

from grades.dashboard import urls as dashboard_urls
from grades.entry import urls as entry_urls
from grades.exports import urls as exports_urls
from grades.parent import urls as parent_urls
from grades.primary import urls as primary_urls
from grades.publication import urls as publication_urls
from grades.results import urls as results_urls

urlpatterns = [
    *results_urls.urlpatterns,
    *entry_urls.urlpatterns,
    *primary_urls.urlpatterns,
    *parent_urls.urlpatterns,
    *publication_urls.urlpatterns,
    *dashboard_urls.urlpatterns,
    *exports_urls.urlpatterns,
]
