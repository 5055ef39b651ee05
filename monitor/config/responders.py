"""Loads `responders/`: one file per department plus `_regions.yaml` and `_policy.yaml`, cross-checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor.config.departments import Department, Person
from monitor.config.errors import ConfigError, ConfigProblem, problems_from_validation
from monitor.config.loader import Lines, not_found, read_yaml_lines, with_lines
from monitor.config.policy import Policy
from monitor.config.regions import Region, RegionsFile

REGIONS_FILE = "_regions.yaml"
POLICY_FILE = "_policy.yaml"
_NEEDS_URL = {"dingtalk", "wecom", "feishu", "webhook", "alertmanager"}
_NEEDS_TO = {"email", "sms", "voice"}


@dataclass(frozen=True)
class Responders:
    """Everything routing and escalation need, indexed for lookup."""

    departments: dict[str, Department]
    regions: dict[str, Region]
    policy: Policy
    root: Path
    people: dict[str, tuple[Department, Person]] = field(default_factory=dict)

    @property
    def duty_desk(self) -> Department:
        return next(d for d in self.departments.values() if d.kind == "duty_desk")

    @property
    def press_offices(self) -> list[Department]:
        return [d for d in self.departments.values() if d.kind == "press_office"]

    @property
    def city(self) -> Region:
        return next(r for r in self.regions.values() if r.parent is None)

    def region_chain(self, region_id: str) -> list[Region]:
        """The region and its ancestors, nearest first."""
        chain: list[Region] = []
        current = self.regions.get(region_id)
        while current is not None and current not in chain:
            chain.append(current)
            current = self.regions.get(current.parent) if current.parent else None
        return chain

    def person(self, person_id: str) -> Person | None:
        hit = self.people.get(person_id)
        return hit[1] if hit else None

    def department_of(self, person_id: str) -> Department | None:
        hit = self.people.get(person_id)
        return hit[0] if hit else None


def _validate(model: type[BaseModel], data: Any, file: str, problems: list[ConfigProblem]) -> Any:
    if not isinstance(data, dict):
        if not any(p.file == file for p in problems):
            empty = data is None
            problems.append(
                ConfigProblem(
                    file, "", "the file is empty" if empty else "expected a mapping at the top level"
                )
            )
        return None
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems.extend(problems_from_validation(err, file))
        return None


def _check_regions(regions: RegionsFile, file: str, problems: list[ConfigProblem]) -> dict[str, Region]:
    by_id: dict[str, Region] = {}
    for i, r in enumerate(regions.regions):
        if r.id in by_id:
            problems.append(ConfigProblem(file, f"regions[{i}].id", f"duplicate region id {r.id!r}"))
        by_id[r.id] = r
    roots = [r for r in regions.regions if r.parent is None]
    if len(roots) != 1:
        problems.append(
            ConfigProblem(file, "regions", f"expected exactly one root region, found {len(roots)}")
        )
    for i, r in enumerate(regions.regions):
        if r.parent is not None and r.parent not in by_id:
            problems.append(ConfigProblem(file, f"regions[{i}].parent", f"unknown region {r.parent!r}"))
        elif r.parent is not None and _in_a_cycle(r.id, by_id):
            problems.append(
                ConfigProblem(file, f"regions[{i}].parent", f"{r.id!r} is its own ancestor (parents loop)")
            )
    problems.extend(_shared_names(regions, file))
    return by_id


def _in_a_cycle(region_id: str, by_id: dict[str, Region]) -> bool:
    seen, current = set(), by_id.get(region_id)
    while current is not None and current.parent is not None:
        if current.parent == region_id:
            return True
        if current.id in seen:
            return False  # a loop above this region: reported on the regions in it
        seen.add(current.id)
        current = by_id.get(current.parent)
    return False


def _shared_names(regions: RegionsFile, file: str) -> list[ConfigProblem]:
    """A 12345 code or a name (alias) must say one region: shared, a place would be matched at random."""
    problems: list[ConfigProblem] = []
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    for i, r in enumerate(regions.regions):
        for ci, code in enumerate(r.codes):
            if codes.setdefault(code, r.id) != r.id:
                problems.append(
                    ConfigProblem(file, f"regions[{i}].codes[{ci}]", f"code {code} is also {codes[code]!r}'s")
                )
        for ai, alias in enumerate((r.name, *r.aliases)):
            if names.setdefault(alias, r.id) != r.id:
                path = f"regions[{i}].aliases[{ai - 1}]" if ai else f"regions[{i}].name"
                problems.append(ConfigProblem(file, path, f"{alias!r} also names {names[alias]!r}"))
    return problems


def _check_department(
    d: Department, file: str, regions: dict[str, Region], problems: list[ConfigProblem]
) -> None:
    for i, region in enumerate(d.regions):
        if regions and region not in regions:
            problems.append(ConfigProblem(file, f"regions[{i}]", f"unknown region {region!r}"))
    for name, ch in d.channels.items():
        if ch.kind in _NEEDS_URL and not (ch.url_env or ch.base_url):
            problems.append(ConfigProblem(file, f"channels.{name}", f"{ch.kind} channel needs url_env"))
        if ch.kind in _NEEDS_TO and not ch.to:
            problems.append(ConfigProblem(file, f"channels.{name}", f"{ch.kind} channel needs `to`"))
        if ch.fallback is not None and ch.fallback not in d.channels:
            problems.append(
                ConfigProblem(file, f"channels.{name}.fallback", f"unknown channel {ch.fallback!r}")
            )
    for pi, p in enumerate(d.people):
        for ci, c in enumerate(p.contacts):
            path = f"people[{pi}].contacts[{ci}]"
            if c.channel is not None and c.channel not in d.channels:
                problems.append(ConfigProblem(file, f"{path}.channel", f"unknown channel {c.channel!r}"))
            if c.channel is None and c.kind in _NEEDS_TO and not c.to:
                problems.append(ConfigProblem(file, path, f"{c.kind} contact needs `to`"))
            if c.channel is None and c.kind in _NEEDS_URL:
                problems.append(ConfigProblem(file, path, f"{c.kind} contact must name a `channel`"))
    person_ids = {p.id for p in d.people}
    roles = {p.role for p in d.people}
    for chain_name, index, step in d.escalation.all_steps():
        for ti, target in enumerate(step.notify):
            path = f"escalation.{chain_name}[{index}].notify[{ti}]"
            kind, _, ref = target.partition(":")
            if kind == "person" and ref not in person_ids:
                problems.append(ConfigProblem(file, path, f"unknown person {ref!r} in this department"))
            elif kind == "role" and ref not in roles:
                problems.append(ConfigProblem(file, path, f"no person with role {ref!r} in this department"))
            elif kind == "channel" and ref not in d.channels:
                problems.append(ConfigProblem(file, path, f"unknown channel {ref!r}"))


def load_responders(root: Path | str) -> Responders:
    """Load and cross-check the directory; raise ConfigError listing every problem."""
    root = Path(root)
    problems: list[ConfigProblem] = []
    lines: dict[str, Lines] = {}
    if root.exists() and not root.is_dir():
        raise ConfigError([ConfigProblem(str(root), "", "is a file; expected the responders directory")])
    if not root.is_dir():
        raise ConfigError([ConfigProblem(str(root), "", not_found("responders directory", root))])

    regions_path = root / REGIONS_FILE
    policy_path = root / POLICY_FILE
    regions_model = _validate(
        RegionsFile, _safe_read(regions_path, problems, lines), str(regions_path), problems
    )
    policy = _validate(Policy, _safe_read(policy_path, problems, lines), str(policy_path), problems)
    regions = _check_regions(regions_model, str(regions_path), problems) if regions_model else {}

    departments: dict[str, Department] = {}
    files: dict[str, str] = {}
    people: dict[str, tuple[Department, Person]] = {}
    dept_files = sorted(p for p in root.glob("*.yaml") if not p.name.startswith("_"))
    dept_files += sorted(p for p in root.glob("*.yml") if not p.name.startswith("_"))
    for path in dept_files:
        dept = _validate(Department, _safe_read(path, problems, lines), str(path), problems)
        if dept is None:
            continue
        if dept.id in departments:
            problems.append(
                ConfigProblem(
                    str(path), "id", f"duplicate department id {dept.id!r} (also in {files[dept.id]})"
                )
            )
            continue
        departments[dept.id] = dept
        files[dept.id] = str(path)
        _check_department(dept, str(path), regions, problems)
        for pi, person in enumerate(dept.people):
            if person.id in people:
                other = people[person.id][0].id
                problems.append(
                    ConfigProblem(
                        str(path), f"people[{pi}].id", f"duplicate person id {person.id!r} (also in {other})"
                    )
                )
            people[person.id] = (dept, person)

    for dept_id, dept in departments.items():
        if dept.parent is not None and dept.parent not in departments:
            problems.append(ConfigProblem(files[dept_id], "parent", f"unknown department {dept.parent!r}"))
    if departments:
        desks = [d.id for d in departments.values() if d.kind == "duty_desk"]
        if len(desks) != 1:
            problems.append(
                ConfigProblem(
                    str(root), "", f"expected exactly one department with kind: duty_desk, found {len(desks)}"
                )
            )
        if not any(d.kind == "press_office" for d in departments.values()):
            problems.append(ConfigProblem(str(root), "", "expected a department with kind: press_office"))
    elif not problems:
        problems.append(ConfigProblem(str(root), "", "no department files (*.yaml) found"))

    if problems:
        raise ConfigError(with_lines(problems, lines))
    assert policy is not None
    return Responders(departments=departments, regions=regions, policy=policy, root=root, people=people)


def _safe_read(path: Path, problems: list[ConfigProblem], lines: dict[str, Lines]) -> Any:
    try:
        data, lines[str(path)] = read_yaml_lines(path)
    except ConfigError as err:
        problems.extend(err.problems)
        return None
    return data
