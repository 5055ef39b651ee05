"""Loads `responders/`: one file per department plus `_regions.yaml` and `_policy.yaml`, cross-checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from monitor.config.department_refs import DepartmentRefs, check_refs, raw_refs, refs_of
from monitor.config.departments import Department, DepartmentKind, Person
from monitor.config.errors import ConfigError, ConfigProblem, problems_from_validation
from monitor.config.loader import Lines, not_found, read_yaml_lines, with_lines
from monitor.config.policy import Policy
from monitor.config.regions import Region, RegionsFile

REGIONS_FILE = "_regions.yaml"
POLICY_FILE = "_policy.yaml"


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

    dept_files = sorted(p for p in root.glob("*.yaml") if not p.name.startswith("_"))
    dept_files += sorted(p for p in root.glob("*.yml") if not p.name.startswith("_"))
    claims = [_read_department(path, problems, lines) for path in dept_files]
    claims, duplicates = _unique_ids(claims)
    problems.extend(duplicates)
    for claim in claims:
        if claim.refs is not None:
            problems.extend(check_refs(claim.refs, claim.file, regions))
    problems.extend(_duplicate_people(claims))
    problems.extend(_unknown_parents(claims))
    problems.extend(_shared_aliases(claims))
    if claims:
        problems.extend(_kind_counts([c.kind for c in claims], str(root)))
    elif not problems:
        problems.append(ConfigProblem(str(root), "", "no department files (*.yaml) found"))

    if problems:
        raise ConfigError(with_lines(problems, lines))
    assert policy is not None
    departments = {c.department.id: c.department for c in claims if c.department is not None}
    people = {p.id: (d, p) for d in departments.values() for p in d.people}
    return Responders(departments=departments, regions=regions, policy=policy, root=root, people=people)


@dataclass(frozen=True)
class _Claim:
    """What one department file says it is: all of it when valid, what can still be read when not."""

    file: str
    id: str | None
    kind: str | None  # None: a broken file's kind is unreadable, so it may be any kind
    person_ids: tuple[str | None, ...]  # by position in `people`; None where unreadable
    parent: str | None = None
    refs: DepartmentRefs | None = None  # None: not even a mapping
    department: Department | None = None  # None: the file failed validation

    @property
    def name(self) -> str:
        return self.id or Path(self.file).name


_KINDS: tuple[str, ...] = get_args(DepartmentKind)


def _read_department(path: Path, problems: list[ConfigProblem], lines: dict[str, Lines]) -> _Claim:
    data = _safe_read(path, problems, lines)
    dept = _validate(Department, data, str(path), problems)
    if dept is None:
        return _raw_claim(data, str(path))
    person_ids = tuple(p.id for p in dept.people)
    return _Claim(str(path), dept.id, dept.kind, person_ids, dept.parent, refs_of(dept), dept)


def _raw_claim(data: Any, file: str) -> _Claim:
    """The id, kind, people, parent and references a file that failed validation still states, where they
    are readable: the checks across files blame only the broken file, not the files that name it, and the
    file's own references are checked in the same pass as its schema."""
    if not isinstance(data, dict):
        return _Claim(file, None, None, ())
    dept_id, kind, people = data.get("id"), data.get("kind", "department"), data.get("people")
    parent = data.get("parent")
    person_ids = tuple(
        p.get("id") if isinstance(p, dict) and isinstance(p.get("id"), str) else None
        for p in (people if isinstance(people, list) else ())
    )
    return _Claim(
        file,
        dept_id if isinstance(dept_id, str) else None,
        kind if kind in _KINDS else None,
        person_ids,
        parent if isinstance(parent, str) else None,
        raw_refs(data),
    )


def _unique_ids(claims: list[_Claim]) -> tuple[list[_Claim], list[ConfigProblem]]:
    """The first file to claim an id keeps it; a later one is a duplicate, valid or not, and is dropped."""
    kept: list[_Claim] = []
    owners: dict[str, str] = {}
    problems: list[ConfigProblem] = []
    for c in claims:
        if c.id is not None and c.id in owners:
            message = f"duplicate department id {c.id!r} (also in {owners[c.id]})"
            problems.append(ConfigProblem(c.file, "id", message))
            continue
        if c.id is not None:
            owners[c.id] = c.file
        kept.append(c)
    return kept, problems


def _duplicate_people(claims: list[_Claim]) -> list[ConfigProblem]:
    """A person id says one person in one department, across every file, broken ones included."""
    owners: dict[str, str] = {}
    problems: list[ConfigProblem] = []
    for c in claims:
        for pi, person_id in enumerate(c.person_ids):
            if person_id is None:
                continue
            if person_id in owners:
                message = f"duplicate person id {person_id!r} (also in {owners[person_id]})"
                problems.append(ConfigProblem(c.file, f"people[{pi}].id", message))
            owners.setdefault(person_id, c.name)
    return problems


def _shared_aliases(claims: list[_Claim]) -> list[ConfigProblem]:
    """An alias names one department for the 12345 platform's 承办单位: not another's name or alias."""
    owners: dict[str, str] = {}
    for c in claims:
        if c.department is not None:
            for n in (c.department.name, c.department.short_name):
                owners.setdefault(n, c.name)
    problems: list[ConfigProblem] = []
    for c in claims:
        for ai, alias in enumerate(c.department.aliases if c.department is not None else ()):
            owner = owners.setdefault(alias, c.name)
            if owner != c.name:
                why = f"alias {alias!r} also names department {owner!r}: 12345 orders to it are ambiguous"
                problems.append(ConfigProblem(c.file, f"aliases[{ai}]", why))
    return problems


def _unknown_parents(claims: list[_Claim]) -> list[ConfigProblem]:
    """A parent names a department; one whose file is broken is not unknown (that file has the problem).
    A broken file with no readable id may be the one meant: its file name stands in for the id."""
    known = {c.id or Path(c.file).stem for c in claims}
    return [
        ConfigProblem(c.file, "parent", f"unknown department {c.parent!r}")
        for c in claims
        if c.parent is not None and c.parent not in known
    ]


def _kind_counts(kinds: list[str | None], root: str) -> list[ConfigProblem]:
    """Exactly one duty desk and at least one press office. An unreadable kind (None) may be either, so
    only a count that is wrong whatever those kinds are is reported."""
    problems: list[ConfigProblem] = []
    desks, unreadable = kinds.count("duty_desk"), kinds.count(None)
    if desks > 1 or desks + unreadable == 0:
        message = f"expected exactly one department with kind: duty_desk, found {desks}"
        problems.append(ConfigProblem(root, "", message))
    if kinds.count("press_office") + unreadable == 0:
        problems.append(ConfigProblem(root, "", "expected a department with kind: press_office"))
    return problems


def _safe_read(path: Path, problems: list[ConfigProblem], lines: dict[str, Lines]) -> Any:
    try:
        data, lines[str(path)] = read_yaml_lines(path)
    except ConfigError as err:
        problems.extend(err.problems)
        return None
    return data
