"""``jupyter carbon forecast ZONE``: the zone's intensity for the next hours from a forecast
provider, the cleanest window of a length and what a job would save there."""

from __future__ import annotations


def register(subparsers) -> None:
    from ...forecasting import DESCRIPTION, add_arguments

    p = subparsers.add_parser(
        "forecast",
        help="the grid's intensity for the next hours and the cleanest window (needs a forecast provider)",
        description=DESCRIPTION + " The provider is c.CarbonMeter.live_provider unless --provider names "
        "one; without either, it says which providers could give a forecast for ZONE.",
    )
    p.add_argument("zone", metavar="ZONE", help="grid zone, cloud region or place, e.g. GB, FR, aws:eu-west-2, london")
    add_arguments(p, cli=True)
    p.set_defaults(func=run)


def place_and_pue(query: str | None, settings):
    """The place named (else the configured region, the environment or the time zone, as a
    kernel picks it, without asking any cloud metadata), and its PUE; UsageError for a name
    that matches nothing."""
    from ...carbon.places import UnknownRegion
    from ...carbon.resolve import machine_timezone, resolve
    from ..errors import UsageError

    try:
        choice = resolve(explicit=query, config_region=settings.region, timezone=machine_timezone())
    except UnknownRegion as err:
        raise UsageError(str(err)) from None
    pue = settings.pue or getattr(choice.place, "pue", None) or 1.0
    return choice.place, pue


def run(args) -> int:
    from ...config import load_settings
    from ...forecasting import forecast_text, provider_for, request_from
    from ..errors import UsageError
    from ..schedule import utc_now

    settings = load_settings()
    try:
        request = request_from(args)
    except ValueError as err:
        raise UsageError(str(err)) from None
    place, pue = place_and_pue(args.zone, settings)
    provider = provider_for(settings, args.provider)
    print(forecast_text(settings, place, request, provider=provider, pue=pue, now=utc_now()))
    if provider is None:
        print(f"Or ask once: jupyter carbon forecast {args.zone} --provider NAME")
    return 0
