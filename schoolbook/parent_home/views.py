"""The home page at /home/: where a person lands after logging in (their only school, a chooser, the platform
console), with the parent's cards across schools. It links to every app's pages, so it is composition."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.services import home_visit_record
from offices.selectors import office_sources, offices_of_user
from schoolbook.caching import cached_part, rows_version, versions_per_school
from schoolbook.parent_home.selectors import cards_add_notices, children_cards, hub_versions
from tenants.routing import school_reverse
from tenants.selectors import affiliation_sources, affiliations_load, affiliations_of_user

PASSWORD_OFFER_DISMISSED = "password_offer_dismissed"


@login_required
def home_view(request):
    """Where a person lands after logging in: their only school, their education office, a chooser, or the
    platform console.

    A guardian gets the parent hub (selectors.children_hub): a card per child in every school with what is
    new since the last visit and a tap to each of the child's pages; staff who are also guardians see their
    schools under their children."""
    affiliations, offices = _places(request.user)
    schools = [affiliation.school for affiliation in affiliations if affiliation.is_staff]
    is_guardian = any(affiliation.is_guardian for affiliation in affiliations)
    if len(schools) == 1 and not (is_guardian or offices or request.user.is_platform_admin):
        return redirect(school_reverse(schools[0], "school_home"))
    if not affiliations and offices:
        return redirect(reverse("office_home"))
    if not affiliations and request.user.is_platform_admin:
        return redirect(reverse("console_schools"))
    context = {"schools": schools, "is_guardian": is_guardian, "offices": offices}
    if is_guardian:
        since = home_visit_record(user=request.user)
        guardian_schools = [affiliation.school for affiliation in affiliations if affiliation.is_guardian]
        context["cards"] = _cards(request.user, guardian_schools, since)
        context["offer_password"] = not (
            request.user.has_usable_password() or request.session.get(PASSWORD_OFFER_DISMISSED)
        )
    return render(request, "accounts/schools.html", context)


def _places(user) -> tuple[list, list]:
    """(the user's affiliations with their schools, the offices they work for), kept per user under one
    version of the rows of both (one query on every view of home, instead of a version and a query)."""
    return cached_part(
        "home-places",
        schemas=["public"],
        viewer=user.pk,
        version=rows_version(*affiliation_sources(user), *office_sources(user)),
        build=lambda: ((affiliations_load(user), list(offices_of_user(user))), None),
    )


def _cards(user, schools, since) -> str:
    """The children's cards, rendered, kept per schools, user, language, this `since` and this day (a fee
    falls due) and the version of their rows in each school (selectors.hub_versions: one query a school).
    Reading a notice changes only the notices' version: the cards' data is then kept under the others
    (children_cards), and only the unread notices are read again (cards_add_notices) before rendering."""
    today = timezone.localdate()
    versions = versions_per_school(schools, lambda schema: hub_versions(user, schema))
    schemas = [school.schema_name for school in schools]

    def build():
        cards = cached_part(
            "parent-hub-cards",
            schemas=schemas,
            viewer=user.pk,
            version=(since, today, [version[:3] for version in versions]),
            build=lambda: (children_cards(user, schools, since), None),
        )
        cards_add_notices(user, cards)
        return render_to_string("accounts/_child_cards.html", {"children": cards}), None

    return cached_part(
        "parent-hub", schemas=schemas, viewer=user.pk, version=(since, today, versions), build=build
    )


@login_required
def messages_view(request):
    """The bottom bar's "Tin nhắn": a parent of one school goes to its conversations, a parent of several to
    their children's cards (each with "Nhắn thầy cô" for its school)."""
    schools = [a.school for a in affiliations_of_user(request.user) if a.is_guardian]
    if len(schools) == 1:
        return redirect(school_reverse(schools[0], "conversation_inbox"))
    return redirect(reverse("home") + "#children")


@require_POST
@login_required
def password_offer_dismiss_view(request):
    """ "Không, cảm ơn" on the home page's offer to set a password: not asked again on this device."""
    request.session[PASSWORD_OFFER_DISMISSED] = True
    return redirect("home")
