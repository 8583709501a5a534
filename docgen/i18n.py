"""Locales and formatting: every number, amount, date and list is written by Babel (CLDR)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent

from docgen.exceptions import LocaleError

EXAMPLE_LOCALES = ("en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "pt_BR", "ar")


def parse_locale(value: str) -> Locale:
    """Accept `fr`, `fr_FR`, `fr-CA` or `pt_BR`; raise LocaleError for anything Babel lacks."""
    wanted = value.strip().replace("-", "_")
    try:
        locale = Locale.parse(wanted)
    except (ValueError, TypeError, UnknownLocaleError):
        locale = None
    # Babel maps an unknown region to a likely one (en_ZZ → en_US); a typo must not pass.
    if locale is not None and str(locale).lower() == wanted.lower():
        return locale
    raise LocaleError(
        f"unknown locale {value!r}; use a language code with an optional region, such as "
        + ", ".join(EXAMPLE_LOCALES)
    )


@dataclass(frozen=True)
class Formatter:
    """Writes values the way the document's locale writes them."""

    locale: Locale
    currency: str

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def decimal(self, number: Decimal) -> str:
        return format_decimal(number, locale=self.locale)

    def percent(self, percent: Decimal) -> str:
        return format_percent(percent / 100, locale=self.locale, decimal_quantization=False)

    def date(self, day: dt.date) -> str:
        return format_date(day, format="long", locale=self.locale)

    def list(self, items: Sequence[str]) -> str:
        return format_list(list(items), locale=self.locale)
