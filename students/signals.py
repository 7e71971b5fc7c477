"""Forget the cached staff and guardian lookups of the access check when their rows change."""

from django.db import connection
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from schoolbook.caching import forget_now_and_on_commit
from students.models import Guardian, StaffMember
from students.selectors import guardian_cache_key, staff_cache_key


@receiver([post_save, post_delete], sender=StaffMember)
def staff_changed(sender, instance, **kwargs):
    forget_now_and_on_commit(staff_cache_key(connection.schema_name, instance.user_id))


@receiver(post_init, sender=Guardian)
def guardian_loaded(sender, instance, **kwargs):
    # The user it was loaded with: relinking a guardian to another user must forget the old user's entry too.
    instance._loaded_user_id = instance.__dict__.get("user_id")


@receiver([post_save, post_delete], sender=Guardian)
def guardian_changed(sender, instance, **kwargs):
    for user_id in {instance.user_id, getattr(instance, "_loaded_user_id", None)} - {None}:
        forget_now_and_on_commit(guardian_cache_key(connection.schema_name, user_id))
    instance._loaded_user_id = instance.user_id
