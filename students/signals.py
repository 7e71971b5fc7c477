from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from schoolbook.caching import forget_now_and_on_commit
from students.models import StaffMember
from students.selectors import forget_staff


@receiver([post_save, post_delete], sender=StaffMember)
def staff_changed(sender, instance, **kwargs):
    schema_name, user_id = connection.schema_name, instance.user_id  # the schema may change before commit
    forget_now_and_on_commit(lambda: forget_staff(schema_name, user_id))
