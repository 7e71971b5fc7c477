from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.models import Domain, School
from tenants.routing import forget_school


@receiver([post_save, post_delete], sender=School)
def school_changed(sender, instance, **kwargs):
    _forget(instance.code)


@receiver([post_save, post_delete], sender=Domain)
def domain_changed(sender, instance, **kwargs):
    _forget(instance.domain)


def _forget(code):
    # Now, and again after commit: a request that read the old row meanwhile must not keep it cached.
    forget_school(code)
    transaction.on_commit(lambda: forget_school(code))
