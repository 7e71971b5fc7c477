"""The fee catalogue (/s/<code>/fees/items/…, /s/<code>/fees/reductions/…)."""

from django.urls import path

from payments.catalogue import views

urlpatterns = [
    path("items/", views.fee_item_list_view, name="fee_items"),
    path("items/new/", views.fee_item_edit_view, name="fee_item_new"),
    path("items/<int:pk>/edit/", views.fee_item_edit_view, name="fee_item_edit"),
    path("items/<int:pk>/archive/", views.fee_item_archive_view, name="fee_item_archive"),
    path("reductions/", views.reduction_list_view, name="fee_reductions"),
    path("reductions/new/", views.reduction_new_view, name="fee_reduction_new"),
    path("reductions/<int:pk>/decide/", views.reduction_decide_view, name="fee_reduction_decide"),
    path("reductions/<int:pk>/evidence/", views.reduction_evidence_view, name="fee_reduction_evidence"),
]
