from django.utils.module_loading import import_string

from messaging.gateways.base import Gateway

GATEWAYS = {
    "console": "messaging.gateways.console.ConsoleSmsGateway",
    "esms": "messaging.gateways.esms.EsmsGateway",
    "speedsms": "messaging.gateways.speedsms.SpeedSmsGateway",
    "http_sms": "messaging.gateways.http_sms.HttpSmsGateway",
    "email": "messaging.gateways.email.EmailGateway",
    "webpush": "messaging.gateways.webpush.WebPushGateway",
    "fcm": "messaging.gateways.fcm.FcmGateway",
    "zalo": "messaging.gateways.zalo.ZaloZnsGateway",
}


def gateway_class(name: str) -> type[Gateway]:
    try:
        path = GATEWAYS[name]
    except KeyError:
        raise LookupError(f"Unknown gateway {name!r}; known: {', '.join(sorted(GATEWAYS))}") from None
    return import_string(path)


def get_gateway(name: str) -> Gateway:
    return gateway_class(name)()


def gateway_configured(name: str) -> bool:
    return name in GATEWAYS and gateway_class(name).is_configured()
