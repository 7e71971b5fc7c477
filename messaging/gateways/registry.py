from django.utils.module_loading import import_string

from messaging.gateways.base import Gateway

GATEWAYS = {
    "console": "messaging.gateways.console.ConsoleSmsGateway",
}


def get_gateway(name: str) -> Gateway:
    try:
        path = GATEWAYS[name]
    except KeyError:
        raise LookupError(f"Unknown gateway {name!r}; known: {', '.join(sorted(GATEWAYS))}") from None
    return import_string(path)()
