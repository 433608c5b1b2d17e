"""The years reports may cover, from the app's configuration (PRESSCASE_REPORT_FIRST_YEAR, _LAST_YEAR).

Shared by the dashboard, `presscase report` and the scheduler job that builds the working-day
index ahead, so all three bound periods the same way.
"""

from __future__ import annotations

from flask import Flask

from engine.time.periods import YearRange
from engine.time.report_range import years_for


def app_report_years(app: Flask) -> YearRange:
    return years_for(app.extensions["presscase"], app.config.get("REPORT_FIRST_YEAR"), app.config.get("REPORT_LAST_YEAR"))
