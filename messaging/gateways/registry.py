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


def get_gateway(name: str, options: dict | None = None) -> Gateway:
    """The gateway `name`, sending through the account in `options` (None: the platform's, from
    settings.GATEWAYS). A school's own account: messaging.provider_accounts.selectors.gateway_for."""
    cls = gateway_class(name)
    return cls() if options is None else cls(options)


def gateway_configured(name: str) -> bool:
    return name in GATEWAYS and gateway_class(name).is_configured()
