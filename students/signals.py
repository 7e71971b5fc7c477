from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from schoolbook.caching import forget_now_and_on_commit
from students.models import StaffMember
from students.selectors import staff_cache_key


@receiver([post_save, post_delete], sender=StaffMember)
def staff_changed(sender, instance, **kwargs):
    forget_now_and_on_commit(staff_cache_key(connection.schema_name, instance.user_id))
