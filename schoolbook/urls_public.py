"""The platform's own pages at / (public schema)."""

from django.urls import include, path
from django.views.i18n import set_language

from accounts import views as accounts_views
from accounts import views_2fa
from schoolbook import health, metrics
from schoolbook import views as site_views
from schoolbook.console import views as console_views
from schoolbook.parent_home import views as parent_home_views
from schoolbook.push import views as push_views
from schoolbook.pwa import views as pwa_views

urlpatterns = [
    path("", accounts_views.landing_view, name="landing"),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("favicon.ico", site_views.favicon, name="favicon"),
    path("login/", accounts_views.login_view, name="login"),
    path("login/code/", accounts_views.code_request_view, name="code_request"),
    path("login/code/verify/", accounts_views.code_verify_view, name="code_verify"),
    path("login/password/", accounts_views.password_set_view, name="password_set"),
    path("logout/", accounts_views.logout_view, name="logout"),
    path("home/", parent_home_views.home_view, name="home"),
    path("messages/", parent_home_views.messages_view, name="parent_messages"),
    path(
        "home/password-offer/dismiss/",
        parent_home_views.password_offer_dismiss_view,
        name="password_offer_dismiss",
    ),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("notices.urls_public")),
    path("sw.js", pwa_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", pwa_views.manifest, name="manifest"),
    path("offline/", pwa_views.offline, name="offline"),
    path("push/receipt/", push_views.push_receipt, name="push_receipt"),
    path("account/push/", push_views.push_subscriptions, name="push_subscriptions"),
    path(
        "account/push/<int:pk>/delete/",
        push_views.push_subscription_remove,
        name="push_subscription_delete",
    ),
    path("account/2fa/", views_2fa.two_factor_view, name="two_factor"),
    path("account/devices/", push_views.devices_view, name="devices"),
    path("", include("messaging.receipts.urls")),
    path("", include("payments.feeds.urls_public")),
    path("", include("payments.vnpay.urls_public")),
    path("", include("offices.urls")),
    path("console/", console_views.console_schools, name="console_schools"),
    path("console/two-factor/", views_2fa.console_two_factor_reset, name="console_two_factor_reset"),
    path("console/schools/new/", console_views.console_school_new, name="console_school_new"),
    path(
        "console/schools/<slug:code>/suspend/",
        console_views.console_school_suspend,
        name="console_school_suspend",
    ),
    path(
        "console/schools/<slug:code>/reactivate/",
        console_views.console_school_reactivate,
        name="console_school_reactivate",
    ),
]
