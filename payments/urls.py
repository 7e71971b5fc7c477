"""A school's fee pages, mounted at /s/<code>/fees/ (schoolbook.urls_school), one include per package."""

from django.urls import include, path

urlpatterns = [
    path("", include("payments.dashboard.urls")),
    path("", include("payments.catalogue.urls")),
    path("", include("payments.invoicing.urls")),
    path("", include("payments.feeds.urls")),
    path("", include("payments.ledger.urls")),
    path("", include("payments.vnpay.urls")),
    path("", include("payments.parent.urls")),
    path("", include("payments.receipts.urls")),
    path("", include("payments.statements.urls")),
    path("", include("payments.exports.urls")),
]
