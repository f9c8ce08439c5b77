"""The report as a chart: the rows of ``queries.report_rows`` drawn as SVG (``plugin.report_charts``)."""

from __future__ import annotations

from datetime import date, datetime

from plugin.domain.reports import Period
from plugin.report_charts import achieved_vs_target_svg
from plugin.store.records import TenantRecord

from .queries import report_rows
from .settings_versions import settings_in_force
from .unit_of_work import UnitOfWork


def report_chart(
    uow: UnitOfWork, tenant: TenantRecord, period: Period, since: datetime | date | None,
    until: datetime | date | None, policy: str | None, metric: str | None,
) -> str:
    """The SVG of the report these filters give: periods labelled in the settings' time zone,
    policies by their names (a policy since removed from the settings, by its id)."""
    rows = report_rows(uow, tenant, period, since, until, policy, metric)
    with uow:
        _version, _document, settings = settings_in_force(uow, tenant)
    names = {known.id: known.name for known in settings.policies}
    return achieved_vs_target_svg(rows, period=period, timezone=settings.timezone, policy_names=names)
