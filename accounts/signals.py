"""Forget the cached user (accounts.backends.PhonePasswordBackend.get_user) when the row changes."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.backends import user_cache_key
from accounts.models import User
from schoolbook.caching import forget_now_and_on_commit


@receiver([post_save, post_delete], sender=User)
def user_changed(sender, instance, **kwargs):
    forget_now_and_on_commit(user_cache_key(instance.pk))
