"""Alert rules as configuration: one pydantic model per rule kind, told apart by `kind`.

The models only describe and validate; what a rule does with observations is in `engine.py`. Every
field an operator may get wrong is checked here, at start-up, so a bad rule stops the agent with a
message naming the file, the rule and the field instead of misbehaving on live data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cached_property
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from streams.model import indicators as catalog
from streams.model.alerting import templates
from streams.model.alerting.errors import RuleConfigError

Category = Literal["traffic", "environment", "public_order", "public_service", "input_health"]
"""The platform's alert categories, used to route alerts to the right unit."""
CapCategory = Literal[
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
]
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
SLUG = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
"""Rule ids become part of alert ids and CAP identifiers, which must not hold spaces or commas."""


class _Strict(BaseModel):
    """Unknown keys are errors: a misspelt `min_duraton_s` must not silently become the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Where(_Strict):
    """Which entities a rule applies to; an empty list means all."""

    entity_type: str | None = None
    entity_ids: list[str] = []
    area_codes: list[str] = []

    def matches(self, entity_type: str, entity_id: str, area_code: str) -> bool:
        """Whether an entity is one this rule watches."""
        return (
            (self.entity_type is None or self.entity_type == entity_type)
            and (not self.entity_ids or entity_id in self.entity_ids)
            and (not self.area_codes or area_code in self.area_codes)
        )


CHECK_CODES = "check_codes"
"""Validation context key set by `load_rules`: a rule file may watch only codes of the indicator
catalog, while rules built in code (the engine's own tests) may watch any code."""


def _watchable(code: str, info: ValidationInfo) -> str:
    """A code the platform emits (streams.model.indicators), or a liveness signal for absence rules;
    anything else would be a rule that silently never fires."""
    if not (info.context or {}).get(CHECK_CODES):
        return code
    if catalog.indicator_of(code) is not None or code in catalog.LIVENESS_SIGNALS:
        return code
    known = [*catalog.emitted_codes(), *catalog.LIVENESS_SIGNALS]
    guess = get_close_matches(code, known, n=1)
    hint = f"; did you mean {guess[0]}?" if guess else ""
    raise ValueError(f"unknown indicator code {code!r}{hint} (the codes are listed in docs/indicators.md)")


class Watch(_Where):
    """The indicator codes a rule watches, as the streams emit them on the indicators topic."""

    indicators: list[Annotated[str, Field(min_length=1), AfterValidator(_watchable)]] = Field(min_length=1)


class IncidentWatch(_Where):
    """The incident types a rule alerts on, as camera analytics and hotlines report them."""

    incident_types: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


class _Rule(_Strict):
    """Fields every rule has: identity, CAP classification, Vietnamese texts and the update policy."""

    NUMBERS: ClassVar[tuple[str, ...]] = ()
    """The values an alert of this kind carries (CAP parameters) and its templates may use."""
    TEXTS: ClassVar[tuple[str, ...]] = templates.COMMON_TEXTS

    id: str
    category: Category
    cap_category: CapCategory
    severity: Severity
    urgency: Urgency
    certainty: Certainty = "Observed"
    event_vi: str = Field(min_length=1)
    headline_vi: str = Field(min_length=1)
    description_vi: str = ""
    instruction_vi: str = ""
    resolved_description_vi: str = "Cảnh báo mở lúc {opened} đã kết thúc lúc {time}."
    """The description once the alert has ended; the open one would describe a danger that is over."""
    update_interval_s: int = Field(default=300, gt=0)
    """An open alert is updated at most this often, however often it fires."""
    reminder_s: int = Field(default=3600, gt=0)
    """A still-firing alert is updated after this long even when its value has not changed."""
    material_change: float = Field(default=0.1, ge=0)
    """Relative change of the alert's main value that is worth an update, 0.1 = 10 %."""

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.fullmatch(value):
            raise ValueError(
                "must be lowercase letters and digits joined by '.', '_' or '-', for example traffic.congestion"
            )
        return value

    @field_validator("event_vi", "headline_vi", "description_vi", "instruction_vi", "resolved_description_vi")
    @classmethod
    def _template(cls, value: str) -> str:
        templates.check(value, cls.TEXTS, cls.NUMBERS)
        return value

    @field_validator("reminder_s")
    @classmethod
    def _reminder_after_interval(cls, value: int, info: ValidationInfo) -> int:
        interval = info.data.get("update_interval_s")
        if interval is not None and value < interval:
            raise ValueError(f"must be at least update_interval_s ({interval})")
        return value


class ThresholdRule(_Rule):
    """Fires when the value passes `trigger` for at least `min_duration_s`; ends only once it is back
    past `clear`, so a value hovering at the trigger does not open and resolve again and again."""

    NUMBERS = ("value", "threshold", "clear")
    TEXTS = (*templates.COMMON_TEXTS, "label")

    kind: Literal["threshold"]
    watch: Watch
    direction: Literal["above", "below"]
    trigger: float
    clear: float
    min_duration_s: int = Field(default=0, ge=0)
    final_only: bool = False
    """Use only final windows, for indicators whose provisional values mislead (a partial sum)."""

    @field_validator("clear")
    @classmethod
    def _hysteresis(cls, value: float, info: ValidationInfo) -> float:
        trigger, direction = info.data.get("trigger"), info.data.get("direction")
        if trigger is None or direction is None:
            return value
        if direction == "above" and not value < trigger:
            raise ValueError(f"must be below trigger ({trigger:g}) when direction is above (hysteresis)")
        if direction == "below" and not value > trigger:
            raise ValueError(f"must be above trigger ({trigger:g}) when direction is below (hysteresis)")
        return value


class RateOfChangeRule(_Rule):
    """Fires when the value changes faster than `per_hour`, measured between the oldest and newest
    readings within `window_s`; ends when the rate falls to `clear_per_hour` (default half)."""

    NUMBERS = ("value", "rate_per_hour", "threshold_per_hour")

    kind: Literal["rate_of_change"]
    watch: Watch
    direction: Literal["rising", "falling", "either"]
    per_hour: float = Field(gt=0)
    clear_per_hour: float | None = Field(default=None, ge=0)
    window_s: int = Field(gt=0)
    final_only: bool = False

    @field_validator("clear_per_hour")
    @classmethod
    def _hysteresis(cls, value: float | None, info: ValidationInfo) -> float | None:
        per_hour = info.data.get("per_hour")
        if value is not None and per_hour is not None and not value < per_hour:
            raise ValueError(f"must be below per_hour ({per_hour:g}) (hysteresis)")
        return value

    @property
    def clear_rate(self) -> float:
        """The rate at or under which the alert ends."""
        return self.per_hour / 2 if self.clear_per_hour is None else self.clear_per_hour


class AbsenceRule(_Rule):
    """Fires when an entity seen before sends nothing for `silence_s`; ends at its next observation."""

    NUMBERS = ("silence_min", "limit_min")

    kind: Literal["absence"]
    watch: Watch
    silence_s: int = Field(gt=0)


class DeviationRule(_Rule):
    """Fires when a final value is `sigma` standard deviations from the entity's usual level for that
    hour of the week (local time), once that hour has `min_samples`; ends within `clear_sigma`."""

    NUMBERS = ("value", "mean", "std", "z", "sigma")

    kind: Literal["deviation"]
    watch: Watch
    direction: Literal["above", "below", "either"]
    sigma: float = Field(gt=0)
    clear_sigma: float | None = Field(default=None, ge=0)
    min_samples: int = Field(default=20, ge=2)
    min_delta: float = Field(default=0.0, ge=0)
    """Smallest absolute difference from the mean worth an alert: at night a quiet camera's usual
    volume varies so little that a few cars would otherwise be many sigmas."""

    @field_validator("clear_sigma")
    @classmethod
    def _hysteresis(cls, value: float | None, info: ValidationInfo) -> float | None:
        sigma = info.data.get("sigma")
        if value is not None and sigma is not None and not value < sigma:
            raise ValueError(f"must be below sigma ({sigma:g}) (hysteresis)")
        return value

    @property
    def clear_z(self) -> float:
        """The distance from the mean, in standard deviations, within which the alert ends."""
        return self.sigma / 2 if self.clear_sigma is None else self.clear_sigma


class IncidentRule(_Rule):
    """Fires at once on each incident event; a repeat while open updates the same alert. Ends
    `auto_resolve_s` after the last event, or stays open for an officer when that is not set."""

    NUMBERS = ("count",)
    TEXTS = (*templates.COMMON_TEXTS, "incident_type", "description")

    kind: Literal["incident"]
    watch: IncidentWatch
    auto_resolve_s: int | None = Field(default=None, gt=0)


Rule = ThresholdRule | RateOfChangeRule | AbsenceRule | DeviationRule | IncidentRule
KINDS = ("threshold", "rate_of_change", "absence", "deviation", "incident")
_RULE: TypeAdapter[Rule] = TypeAdapter(Annotated[Rule, Field(discriminator="kind")])


@dataclass(frozen=True)
class RuleSet:
    """The validated rules of one file, in file order (the order alerts of one observation come out)."""

    source: str
    rules: tuple[Rule, ...]

    @cached_property
    def by_id(self) -> dict[str, Rule]:
        """The rules by id, for turning an alert change back into its rule."""
        return {rule.id: rule for rule in self.rules}


def load_rules(path: str | Path) -> RuleSet:
    """Read and validate a rule file; raise one RuleConfigError listing every problem found."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleConfigError([f"{path}: cannot be read: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise RuleConfigError([f"{path}: not valid YAML: {exc}"]) from None
    return _parse(document, str(path))


def _parse(document: object, source: str) -> RuleSet:
    """Validate a parsed rule document; `source` names the file in the error messages."""
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise RuleConfigError([f"{source}: rules: the file must be a mapping with a list under `rules`"])
    problems = [
        f"{source}: {key}: unknown top-level key; only `rules` is read" for key in document if key != "rules"
    ]
    rules: list[Rule] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(document["rules"]):
        label = f"{source}: rules[{index}]"
        if not isinstance(raw, dict):
            problems.append(f"{label}: must be a mapping of fields, not {type(raw).__name__}")
            continue
        rule_id = raw.get("id")
        label += f" (id={rule_id if rule_id is not None else '?'})"
        if isinstance(rule_id, str):
            if rule_id in first_index:
                problems.append(f"{label}: id: duplicate of rules[{first_index[rule_id]}]")
            first_index.setdefault(rule_id, index)
        try:
            rules.append(_RULE.validate_python(raw, context={CHECK_CODES: True}))
        except ValidationError as exc:
            problems += [f"{label}: {_where(error['loc'], raw)}: {_message(error)}" for error in exc.errors()]
    if problems:
        raise RuleConfigError(problems)
    return RuleSet(source, tuple(rules))


def _where(loc: tuple[int | str, ...], raw: dict[str, object]) -> str:
    """The field an error is about, as written in YAML (`watch.indicators[0]`), without pydantic's
    leading union tag."""
    if not loc:
        return "kind"
    parts = loc[1:] if loc[0] == raw.get("kind") else loc
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "kind"


def _message(error: ErrorDetails) -> str:
    """Pydantic's message, worded for an operator where pydantic's own is about its internals."""
    if error["type"] == "missing":
        return "required, but missing"
    if error["type"] == "extra_forbidden":
        return "unknown field (misspelt, or not a field of this kind of rule)"
    if error["type"] == "union_tag_not_found":
        return f"missing; must be one of {', '.join(KINDS)}"
    if error["type"] == "union_tag_invalid":
        return f"unknown kind {error['input'].get('kind')!r}; must be one of {', '.join(KINDS)}"
    return error["msg"].removeprefix("Value error, ")
