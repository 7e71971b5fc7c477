from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from schoolbook.caching import forget_now_and_on_commit
from tenants.models import Domain, School
from tenants.routing import school_cache_key


@receiver([post_save, post_delete], sender=School)
def school_changed(sender, instance, **kwargs):
    forget_now_and_on_commit(school_cache_key(instance.code))


@receiver([post_save, post_delete], sender=Domain)
def domain_changed(sender, instance, **kwargs):
    forget_now_and_on_commit(school_cache_key(instance.domain))
