"""Providers' delivery reports applied to our deliveries: in the current schema (a school's own webhook,
eSMS's per-school URL), or spread over the schemas their keys name (a webhook every school shares)."""

import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.delivery_keys import KEY_LENGTH, SCHEMA_TAG_LENGTH, schema_tag
from messaging.gateways.base import Receipt, ReceiptStatus
from messaging.models import Delivery
from schoolbook import metrics

logger = logging.getLogger("schoolbook.messaging")


def deliveries_apply_receipts(receipts: list[Receipt], *, gateway: str) -> int:
    """Apply a provider's delivery reports in the current schema; returns the number of deliveries changed.

    Only a `sent` delivery moves (to delivered, or to failed with the reason): a replayed report finds it
    already moved and changes nothing, and a late "failed" never takes back a "delivered". A delivery is
    found by our idempotency key (`provider_key`: another schema's key is not ours) or by the provider's
    id, and only among this gateway's; a report whose key and provider id contradict each other is ignored
    rather than trusted. One locking SELECT, one UPDATE."""
    keys = {r.idempotency_key for r in receipts if r.idempotency_key}
    provider_ids = {r.provider_message_id for r in receipts if r.provider_message_id}
    if not keys and not provider_ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        rows = Delivery.objects.select_for_update().filter(
            Q(provider_key__in=keys) | Q(provider_message_id__in=provider_ids), gateway=gateway
        )
        rows = list(rows)
        by_key = {d.provider_key: d for d in rows if d.provider_key}
        by_provider_id = {d.provider_message_id: d for d in rows if d.provider_message_id}
        changed = {}
        for receipt in receipts:
            delivery = _receipt_delivery(receipt, by_key, by_provider_id)
            if delivery is None:
                logger.warning("%s receipt for no delivery of ours here: %s", gateway, receipt)
            elif delivery.status == Delivery.Status.SENT:
                if receipt.status == ReceiptStatus.FAILED:
                    delivery.status = Delivery.Status.FAILED
                    delivery.error = receipt.error or "the provider reported it undelivered"
                else:  # delivered, or read (which implies delivered)
                    delivery.status, delivery.delivered_at = Delivery.Status.DELIVERED, now
                # An earlier attempt's duplicate answer (eSMS 124) left us without the provider's id.
                delivery.provider_message_id = delivery.provider_message_id or receipt.provider_message_id
                changed[delivery.pk] = delivery
        if changed:
            Delivery.objects.bulk_update(
                changed.values(), ["status", "error", "provider_message_id", "delivered_at"]
            )
            metrics.deliveries_count((d.channel, d.status) for d in changed.values())
    return len(changed)


def receipts_apply_by_schema(receipts: list[Receipt], *, gateway: str) -> int:
    """Apply receipts from a webhook that serves every school (Zalo's, the service worker's): each key
    starts with its schema's tag (`delivery_key`), and each group is applied inside its own schema, only
    for schemas of active schools (or public). Receipts without a known tag are dropped with a log line."""
    from tenants.models import School

    schemas = ["public", *School.objects.filter(is_active=True).values_list("schema_name", flat=True)]
    by_tag = {schema_tag(schema): schema for schema in schemas}
    by_schema = defaultdict(list)
    for receipt in receipts:
        schema = by_tag.get(receipt.idempotency_key[:SCHEMA_TAG_LENGTH])
        if schema and len(receipt.idempotency_key) == KEY_LENGTH:
            by_schema[schema].append(receipt)
        else:
            logger.warning("%s receipt without a key of an active school: %s", gateway, receipt)
    changed = 0
    for schema, group in by_schema.items():
        with schema_context(schema):
            changed += deliveries_apply_receipts(group, gateway=gateway)
    return changed


def _receipt_delivery(receipt: Receipt, by_key: dict, by_provider_id: dict) -> Delivery | None:
    """The delivery a receipt speaks of, when its key and provider id do not contradict each other."""
    delivery = by_key.get(receipt.idempotency_key) or by_provider_id.get(receipt.provider_message_id)
    if delivery is None:
        return None
    # A delivery sent before keys were stored (provider_key "") can only be found by the provider's id.
    if receipt.idempotency_key and delivery.provider_key and receipt.idempotency_key != delivery.provider_key:
        return None
    if receipt.address and receipt.address != delivery.address:  # the provider names another recipient
        return None
    ours, theirs = delivery.provider_message_id, receipt.provider_message_id
    if ours and theirs and ours != theirs:
        return None
    return delivery
