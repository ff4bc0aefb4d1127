"""Targets: effective thresholds, status, the per-street scorecard, snapshots and trends.

Status rule (shown on the targets page as part of 口径说明):

- 已达标 (met) when the value ≥ the threshold;
- otherwise 按进度 (on track) when the value ≥ the expected value for the share of the
  year elapsed: expected = baseline + (threshold − baseline) × elapsed, where elapsed =
  day of the year ÷ days in the year and the baseline is the value of the scope's last
  snapshot taken in December of the year before (0 when there is none, which is the plain
  pro-rated target threshold × elapsed);
- otherwise 滞后 (behind);
- 暂无数据 when the denominator is 0 (nothing to measure), 未接入 when the records the
  indicator needs are not part of this installation.

All comparisons are made on exact fractions, so the boundaries are exact.
"""
from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from flask import abort, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.services import record, record_change, snapshot
from ..core import figures, generations
from ..core.enums import LabelledEnum
from ..core.errors import ConcurrentEditError, DomainError, check_version
from ..core.holidays.models import HOLIDAYS_TOPIC
from ..core.timeutil import local_today, utcnow
from ..extensions import db
from ..regions.models import Street
from .indicators import (
    NO_COUNTS,
    Counts,
    Indicator,
    all_indicators,
    get_indicator,
    measure_many,
    statement_tables,
    total,
)
from .models import DISTRICT_KEY, Target, TargetSnapshot, scope_key_for
from .percent import as_percent, threshold_percent


class Status(LabelledEnum):
    MET = ("met", _l("已达标"), "success")
    ON_TRACK = ("on_track", _l("按进度"), "info")
    BEHIND = ("behind", _l("滞后"), "danger")
    NO_DATA = ("no_data", _l("暂无数据"), "secondary")
    UNAVAILABLE = ("unavailable", _l("未接入"), "light")


def year_elapsed(day: date, year: int) -> Fraction:
    """The share of ``year`` elapsed at the end of ``day`` (0 before it starts, 1 after it ends)."""
    if day.year < year:
        return Fraction(0)
    if day.year > year:
        return Fraction(1)
    days = 366 if calendar.isleap(year) else 365
    return Fraction(day.timetuple().tm_yday, days)


def expected_value(threshold: Fraction, elapsed: Fraction, baseline: Fraction | None = None) -> Fraction:
    start = min(baseline or Fraction(0), threshold)
    return start + (threshold - start) * elapsed


def judge(value: Fraction | None, threshold: Fraction, elapsed: Fraction,
          baseline: Fraction | None = None) -> Status:
    if value is None:
        return Status.NO_DATA
    if value >= threshold:
        return Status.MET
    if value >= expected_value(threshold, elapsed, baseline):
        return Status.ON_TRACK
    return Status.BEHIND


# --- thresholds -------------------------------------------------------------------------

@dataclass(frozen=True)
class TargetRef:
    """What a scorecard keeps of a ``Target`` row: scorecards are shared, immutable values."""

    id: int
    basis: str

    @classmethod
    def of(cls, target: Target) -> TargetRef:
        return cls(target.id, target.basis or "")


@dataclass(frozen=True)
class StreetRef:
    """What a scorecard keeps of a ``Street`` row."""

    id: int
    name: str
    code: str | None

    @classmethod
    def of(cls, street) -> StreetRef:
        return cls(street.id, street.name, street.code)


@dataclass(frozen=True)
class Threshold:
    value: Fraction
    target: TargetRef | None  # the target that sets it; None: the default from seeds/
    inherited: bool  # a street without a target of its own takes the district's

    @property
    def basis(self) -> str:
        return self.target.basis if self.target and self.target.basis else ""


def year_targets(year: int) -> dict[tuple[str, int], Target]:
    rows = db.session.scalars(select(Target).where(Target.year == year))
    return {(row.indicator, row.scope_key): row for row in rows}


def resolve_threshold(targets: dict, indicator: Indicator, street_id: int | None) -> Threshold:
    if street_id is not None:
        own = targets.get((indicator.code, scope_key_for(street_id)))
        if own is not None:
            return Threshold(own.threshold_fraction, TargetRef.of(own), False)
    district = targets.get((indicator.code, DISTRICT_KEY))
    if district is not None:
        return Threshold(district.threshold_fraction, TargetRef.of(district), street_id is not None)
    return Threshold(indicator.default_threshold, None, street_id is not None)


# --- measuring, kept by data generation ---------------------------------------------------

# The data generation of everything an indicator reads (and of the targets and snapshots): the core
# features' tables are watched in dashboard/services.py, each further feature's in its indicators module.
SCORECARD_TOPIC = "dashboard"
MEASURED_CACHE = "targets_measured"
_MISSING = object()


def measured(indicators: list[Indicator], day: date, *, street_id: int | None = None) -> dict:
    """``measure_many``, each indicator's counts kept per process under the data generation.

    A page measures only what it lacks, in one statement: a drill-down its own indicator, the scorecard
    then the others. A street's counts are taken from the district's (grouped by street) when those are
    kept. Computed live, like every generation cache, while this transaction has changed the data.
    """
    generation = generations.current(SCORECARD_TOPIC)
    size = current_app.config.get("DASHBOARD_CACHE_SIZE", 16)
    if generation is None or size <= 0:
        return measure_many(indicators, day, street_id=street_id)
    cache = generations.process_cache(MEASURED_CACHE, size * 32)
    # A day is measured on today's registry while it is today, on the management history once past.
    today = local_today()
    key = (day, day >= today, generation)
    found, missing = {}, []

    def lookup():
        missing.clear()
        for indicator in indicators:
            groups = cache.lookup((indicator.code, street_id, *key), _MISSING)
            if groups is _MISSING and street_id is not None:
                district = cache.lookup((indicator.code, None, *key), _MISSING)
                if district is None or district is _MISSING:
                    groups = district
                else:
                    groups = MappingProxyType({street_id: district[street_id]} if street_id in district else {})
            if groups is _MISSING:
                missing.append(indicator)
            else:
                found[indicator.code] = groups

    lookup()
    if missing and day == today:
        # Today's district counts are stored by the transaction that changed their data (``core.figures``).
        stored = figures.load(MEASURED_CACHE, generation, [_stored_key(i.code, day) for i in missing])
        for indicator in missing:
            payload = stored.get(_stored_key(indicator.code, day), _MISSING)
            if payload is not _MISSING:
                cache.put((indicator.code, None, *key), _groups_from_payload(payload))
        if stored:
            lookup()
    if missing:
        fresh = generations.computed_checked(SCORECARD_TOPIC, MEASURED_CACHE,
                                             lambda: measure_many(missing, day, street_id=street_id))
        for indicator in missing:
            cache.put((indicator.code, street_id, *key), fresh[indicator.code])
        found.update(fresh)
    return found


def _stored_key(code: str, day: date) -> str:
    return f"{code}|{day.isoformat()}"


def _groups_payload(groups) -> list | None:
    if groups is None:
        return None
    return [[street, counts.numerator, counts.denominator] for street, counts in groups.items()]


def _groups_from_payload(payload):
    if payload is None:
        return None
    return MappingProxyType({street: Counts(numerator, denominator) for street, numerator, denominator in payload})


def _precompute_keys() -> list[str]:
    day = local_today()
    return [_stored_key(indicator.code, day) for indicator in all_indicators()]


def _precompute(keys: list[str]) -> dict[str, figures.Entry]:
    """Today's district counts of the indicators named by ``keys`` (one statement), with the tables each reads."""
    day = local_today()
    wanted = {_stored_key(indicator.code, day): indicator for indicator in all_indicators()}
    chosen = [wanted[key] for key in keys if key in wanted]
    counted = measure_many(chosen, day)
    return {_stored_key(indicator.code, day): figures.Entry(_groups_payload(counted[indicator.code]),
                                                            statement_tables(indicator, day))
            for indicator in chosen}


# The indicators' counts of today, for the district (a street's are taken from them), kept in the database by
# the committing transaction: only the indicators whose tables it wrote are counted again. An indicator's
# Python side reads the working-day calendar (the holiday topic's tables): a change there recounts them all.
figures.register(figures.Precomputed(
    SCORECARD_TOPIC, MEASURED_CACHE, _precompute_keys, _precompute,
    always=lambda: frozenset(generations.watched_tables(HOLIDAYS_TOPIC))))


# --- the scorecard ----------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    indicator: Indicator
    counts: Counts | None  # None: the indicator is not available
    threshold: Threshold
    expected: Fraction
    status: Status
    street_id: int | None

    @property
    def value(self) -> Fraction | None:
        return self.counts.value if self.counts is not None else None

    @property
    def percent(self) -> str:
        return as_percent(self.value)

    @property
    def threshold_percent(self) -> str:
        return threshold_percent(self.threshold.value)

    @property
    def expected_percent(self) -> str:
        return as_percent(self.expected)

    @property
    def gap(self) -> int:
        return self.counts.gap if self.counts is not None else 0


@dataclass(frozen=True)
class ScopeRow:
    street: StreetRef | None  # None for the district
    cells: Mapping[str, Cell]  # read-only

    @property
    def street_id(self) -> int | None:
        return self.street.id if self.street is not None else None

    @property
    def name(self) -> str:
        return self.street.name if self.street is not None else _("全区")

    def count(self, status: Status) -> int:
        return sum(1 for cell in self.cells.values() if cell.status is status)

    @property
    def behind(self) -> int:
        return self.count(Status.BEHIND)

    @property
    def met(self) -> int:
        return self.count(Status.MET)


@dataclass(frozen=True)
class Scorecard:
    day: date
    year: int
    elapsed: Fraction
    indicators: tuple[Indicator, ...]
    district: ScopeRow | None
    streets: tuple[ScopeRow, ...] = ()

    @property
    def rows(self) -> list[ScopeRow]:
        return ([self.district] if self.district else []) + list(self.streets)

    @property
    def elapsed_percent(self) -> str:
        return as_percent(self.elapsed)


def baselines(year: int, scope_keys=None) -> dict[tuple[str, int], Fraction]:
    """The value of each indicator × scope's last snapshot taken in December of the year before."""
    statement = (select(TargetSnapshot)
                 .where(TargetSnapshot.as_of >= date(year - 1, 12, 1), TargetSnapshot.as_of <= date(year - 1, 12, 31))
                 .order_by(TargetSnapshot.as_of))
    if scope_keys is not None:
        statement = statement.where(TargetSnapshot.scope_key.in_(list(scope_keys)))
    found = {}
    for row in db.session.scalars(statement):
        if row.value is not None:
            found[(row.indicator, row.scope_key)] = row.value
    return found


# --- the scorecard's inputs, kept by data generation ------------------------------------------

@dataclass(frozen=True)
class TargetValue:
    """What ``resolve_threshold`` reads of a ``Target`` row."""

    id: int
    basis: str | None
    threshold_fraction: Fraction


@dataclass(frozen=True)
class ScorecardInputs:
    """A year's targets, baselines and the streets (every one, in the scorecard's order, with ``active``)."""

    streets: tuple[tuple[StreetRef, bool], ...]
    targets: Mapping[tuple[str, str], TargetValue]
    baselines: Mapping[tuple[str, str], Fraction]

    def streets_for(self, street_ids) -> list[StreetRef]:
        if street_ids is None:
            return [street for street, active in self.streets if active]
        wanted = set(street_ids)
        return [street for street, _active in self.streets if street.id in wanted]


INPUTS_CACHE = "targets_scorecard_inputs"


def _inputs_payload(year: int) -> dict:
    """The year's scorecard inputs as JSON (three queries), stored by ``core.figures`` or kept per process."""
    streets = db.session.execute(select(Street.id, Street.name, Street.code, Street.active)
                                 .order_by(Street.code, Street.name_sort)).all()
    targets = db.session.execute(select(Target.indicator, Target.scope_key, Target.id, Target.basis, Target.threshold)
                                 .where(Target.year == year)).all()
    return {"streets": [[row.id, row.name, row.code, bool(row.active)] for row in streets],
            "targets": [[row.indicator, row.scope_key, row.id, row.basis, str(row.threshold)] for row in targets],
            "baselines": [[code, key, value.numerator, value.denominator]
                          for (code, key), value in baselines(year).items()]}


def _inputs_from_payload(payload: dict) -> ScorecardInputs:
    return ScorecardInputs(
        streets=tuple((StreetRef(street_id, name, code), active)
                      for street_id, name, code, active in payload["streets"]),
        targets=MappingProxyType({(code, key): TargetValue(target_id, basis, Fraction(Decimal(threshold)))
                                  for code, key, target_id, basis, threshold in payload["targets"]}),
        baselines=MappingProxyType({(code, key): Fraction(numerator, denominator)
                                    for code, key, numerator, denominator in payload["baselines"]}))


def scorecard_inputs(year: int) -> ScorecardInputs:
    """``year``'s streets, targets and baselines, kept per process under the data generation; the current
    year's as the committing transaction stored them (``core.figures``), else read (three queries)."""
    generation = generations.current(SCORECARD_TOPIC)
    size = current_app.config.get("DASHBOARD_CACHE_SIZE", 16)
    if generation is None or size <= 0:
        return _inputs_from_payload(_inputs_payload(year))

    def stored():
        if year != local_today().year:
            return None
        payload = figures.load(INPUTS_CACHE, generation, [str(year)]).get(str(year))
        return None if payload is None else _inputs_from_payload(payload)

    return generations.cached(SCORECARD_TOPIC, INPUTS_CACHE, size, ("inputs", year),
                              lambda: _inputs_from_payload(_inputs_payload(year)), stored=stored)


def _precompute_inputs(keys: list[str]) -> dict[str, figures.Entry]:
    tables = frozenset({Street.__tablename__, Target.__tablename__, TargetSnapshot.__tablename__})
    return {key: figures.Entry(_inputs_payload(int(key)), tables) for key in keys}


figures.register(figures.Precomputed(SCORECARD_TOPIC, INPUTS_CACHE, lambda: [str(local_today().year)],
                                     _precompute_inputs))


def prefetch_stored(day: date, indicators: list[Indicator] | None = None,
                    also: dict[str, list[str]] | None = None) -> None:
    """Load in ONE query what a scorecard of ``day`` will ask ``core.figures`` for and the process does not
    hold yet (its inputs, the ``indicators``' counts), with ``also`` (other figures of the same generation)."""
    generation = generations.current(SCORECARD_TOPIC)
    if generation is None or day != local_today() or current_app.config.get("DASHBOARD_CACHE_SIZE", 16) <= 0:
        return
    wanted = dict(also or {})
    if generations.cached_if_present(SCORECARD_TOPIC, INPUTS_CACHE, ("inputs", day.year)) is None:
        wanted[INPUTS_CACHE] = [str(day.year)]
    cache = current_app.extensions.get(MEASURED_CACHE)
    key = (day, True, generation)
    missing = [indicator.code for indicator in indicators or all_indicators()
               if cache is None or cache.peek((indicator.code, None, *key)) is None]
    if missing:
        wanted[MEASURED_CACHE] = [_stored_key(code, day) for code in missing]
    if len(wanted) > 1:
        figures.prefetch(generation, wanted)


def scorecard(day: date | None = None, *, year: int | None = None, street_ids=None,
              include_district: bool = True, indicators: list[Indicator] | None = None) -> Scorecard:
    """Every indicator for the district and each street (or only ``street_ids``).

    One query for the indicators not already kept (``measured``: one UNION ALL, grouped by street), and
    the streets, the year's targets and the baselines kept likewise (``scorecard_inputs``), however many
    streets there are.
    """
    day = day or local_today()
    year = year or day.year
    indicators = indicators or all_indicators()
    elapsed = year_elapsed(day, year)
    if year == day.year:
        prefetch_stored(day, indicators)
    inputs = scorecard_inputs(year)
    streets = inputs.streets_for(street_ids)
    targets, starts = inputs.targets, inputs.baselines
    only_street = streets[0].id if street_ids is not None and len(streets) == 1 and not include_district else None

    district_cells: dict[str, Cell] = {}
    street_cells: dict[int, dict[str, Cell]] = {s.id: {} for s in streets}
    counts_by_code = measured(indicators, day, street_id=only_street)
    for indicator in indicators:
        groups = counts_by_code[indicator.code]

        def cell(counts, street_id, indicator=indicator):
            threshold = resolve_threshold(targets, indicator, street_id)
            baseline = starts.get((indicator.code, scope_key_for(street_id)))
            expected = expected_value(threshold.value, elapsed, baseline)
            status = (Status.UNAVAILABLE if counts is None
                      else judge(counts.value, threshold.value, elapsed, baseline))
            return Cell(indicator, counts, threshold, expected, status, street_id)

        if include_district:
            district_cells[indicator.code] = cell(total(groups), None)
        for street in streets:
            counts = None if groups is None else groups.get(street.id, NO_COUNTS)
            street_cells[street.id][indicator.code] = cell(counts, street.id)

    return Scorecard(
        day=day, year=year, elapsed=elapsed, indicators=tuple(indicators),
        district=ScopeRow(None, MappingProxyType(district_cells)) if include_district else None,
        streets=tuple(ScopeRow(street, MappingProxyType(street_cells[street.id])) for street in streets),
    )


# --- editing targets ------------------------------------------------------------------------

def find_target(indicator_code: str, year: int, street_id: int | None) -> Target | None:
    return db.session.scalar(select(Target).where(
        Target.indicator == indicator_code, Target.year == year, Target.scope_key == scope_key_for(street_id)))


def save_target(indicator: Indicator, year: int, street, *, threshold_percent: Decimal, basis: str | None = None,
                notes: str | None = None, version=None, actor=None) -> Target:
    """Create or change the target of ``indicator`` for a scope and year.

    ``version`` is the version the form was rendered from (empty when no target existed
    then): a target created or changed by someone else in the meantime is refused.
    """
    if threshold_percent is None or not (Decimal(0) <= threshold_percent <= Decimal(100)):
        raise DomainError(_("目标值须在 0 到 100 之间。"), field="threshold")
    if not (2000 <= year <= 2100):
        raise DomainError(_("年度不正确。"), field="year")
    street_id = street.id if street is not None else None
    threshold = (Decimal(threshold_percent) / 100).quantize(Decimal("0.0001"))
    target = find_target(indicator.code, year, street_id)
    if target is None:
        if version not in (None, ""):
            raise ConcurrentEditError(_("该记录已被他人修改，请刷新页面后重新编辑。"))
        target = Target(indicator=indicator.code, year=year, street_id=street_id, scope_key=scope_key_for(street_id),
                        threshold=threshold, basis=basis or None, notes=notes or None,
                        updated_by_id=getattr(actor, "id", None))
        db.session.add(target)
        record("target.create", target, after=snapshot(target, ["indicator", "year", "street_id", "threshold",
                                                                 "basis", "notes"]), actor=actor)
        return target
    check_version(target, version)
    before = snapshot(target, ["threshold", "basis", "notes"])
    target.threshold = threshold
    target.basis = basis or None
    target.notes = notes or None
    target.updated_by_id = getattr(actor, "id", None)
    record_change("target.update", target, before, actor=actor)
    return target


def ensure_default_targets(year: int) -> int:
    """District targets for ``year`` from seeds/ where none exist; returns how many were made."""
    existing = {row.indicator for row in db.session.scalars(
        select(Target).where(Target.year == year, Target.scope_key == DISTRICT_KEY))}
    made = 0
    for indicator in all_indicators():
        if indicator.code in existing:
            continue
        threshold = Decimal(indicator.default_threshold.numerator) / Decimal(indicator.default_threshold.denominator)
        db.session.add(Target(indicator=indicator.code, year=year, street_id=None, scope_key=DISTRICT_KEY,
                              threshold=threshold.quantize(Decimal("0.0001")), basis=indicator.basis))
        made += 1
    db.session.flush()
    return made


# --- weekly snapshots ----------------------------------------------------------------------

@dataclass
class SnapshotResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # indicators not available


def week_of(day: date) -> tuple[int, int, date]:
    iso = day.isocalendar()
    return iso.year, iso.week, day - timedelta(days=day.weekday())


def take_snapshot(day: date | None = None, *, actor=None) -> SnapshotResult:
    """Store each indicator's values for the district and every street, for ``day``'s ISO week.

    Idempotent: a week has one row per indicator × scope. Run again in the same week, a
    row whose numerator and denominator are unchanged is left alone; a changed one is
    updated in place (with the new day and time).
    """

    day = day or local_today()
    iso_year, iso_week, week_start = week_of(day)
    existing = {(row.indicator, row.scope_key): row for row in db.session.scalars(
        select(TargetSnapshot).where(TargetSnapshot.iso_year == iso_year, TargetSnapshot.iso_week == iso_week))}
    streets = list(db.session.scalars(select(Street.id).where(Street.active.is_(True))))
    result = SnapshotResult()
    now = utcnow()
    measured = measure_many(all_indicators(), day)
    for indicator in all_indicators():
        groups = measured[indicator.code]
        if groups is None:
            result.skipped.append(indicator.code)
            continue
        scopes = [(None, total(groups))] + [
            (street_id, groups.get(street_id, NO_COUNTS))
            for street_id in sorted(set(streets) | {k for k in groups if k is not None})
        ]
        for street_id, counts in scopes:
            key = (indicator.code, scope_key_for(street_id))
            row = existing.get(key)
            if row is None:
                db.session.add(TargetSnapshot(
                    indicator=indicator.code, street_id=street_id, scope_key=key[1], iso_year=iso_year,
                    iso_week=iso_week, week_start=week_start, as_of=day, numerator=counts.numerator,
                    denominator=counts.denominator, taken_at=now))
                result.created += 1
            elif (row.numerator, row.denominator) != (counts.numerator, counts.denominator):
                row.numerator, row.denominator, row.as_of, row.taken_at = (
                    counts.numerator, counts.denominator, day, now)
                result.updated += 1
            else:
                result.unchanged += 1
    db.session.flush()
    if result.created or result.updated:
        record("targets.snapshot", None, object_type="TargetSnapshot", actor=actor,
               summary=f"{iso_year}-W{iso_week:02d}：新增 {result.created}，更新 {result.updated}",
               after={"as_of": day, "created": result.created, "updated": result.updated})
    return result


@dataclass
class Series:
    indicator: Indicator
    points: list[tuple[date, Fraction | None]]


def trend(indicators: list[Indicator], street_id: int | None, *, until: date, weeks: int = 26) -> list[Series]:
    """Weekly values of ``indicators`` in one scope, from the snapshots, oldest first (one query)."""
    since = until - timedelta(weeks=weeks)
    rows = db.session.scalars(
        select(TargetSnapshot)
        .where(TargetSnapshot.scope_key == scope_key_for(street_id),
               TargetSnapshot.indicator.in_([i.code for i in indicators]),
               TargetSnapshot.week_start > since, TargetSnapshot.as_of <= until)
        .order_by(TargetSnapshot.week_start)
    )
    points: dict[str, list] = {i.code: [] for i in indicators}
    for row in rows:
        points[row.indicator].append((row.week_start, row.value))
    return [Series(i, points[i.code]) for i in indicators]


def indicator_or_404(code: str) -> Indicator:

    indicator = get_indicator(code)
    if indicator is None:
        abort(404)
    return indicator
