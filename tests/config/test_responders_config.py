"""responders/ is strict too: values that would silently misroute, never open or never time out are errors,
every problem is reported at once, and each names its file, path and line."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.errors import ConfigError, ConfigProblem
from monitor.config.responders import load_responders
from monitor.config.sources import load_sources
from monitor.engine.calendar import WorkCalendar, add_working_time
from monitor.incidents.policy_snapshot import freeze_policy

ROOT = Path(__file__).resolve().parents[2]


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "responders"
    shutil.copytree(ROOT / "responders", root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(root: Path) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as err:
        load_responders(root)
    return err.value.problems


def _line_of(path: Path, needle: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line
    )


def test_policy_values_that_could_never_work_are_errors_with_their_lines(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    policy = root / "_policy.yaml"
    _edit(policy, "timezone: Asia/Shanghai", "timezone: Mars/Olympus")
    _edit(policy, "default_urgency: 一般", "default_urgency: 超级")
    _edit(policy, "open_min_negative: 0.55", "open_min_negative: 1.7")
    _edit(policy, 'workday_start: "08:30"', 'workday_start: "25:99"')
    _edit(policy, "{kind: statement, within: 5h,", "{kind: statement, within: 0s,")
    _edit(policy, "repeat_interval: 1h", "repeat_interval: 0s")
    _edit(root / "yingji.yaml", "ack_timeout: 30m}", "ack_timeout: 0s}")
    found = {(p.path, p.message.split(" (")[0]): p for p in _problems(root)}
    expected = {
        ("timezone", "unknown time zone 'Mars/Olympus'"): "timezone:",
        ("hotline", "default_urgency '超级' is not one of limits"): "hotline:",
        ("grading.open_min_negative", "Input should be less than or equal to 1"): "open_min_negative",
        ("calendar.workday_start", "'25:99' is not a time of day"): "workday_start",
        ("clocks.I[0].within", "must be longer than 0s"): "within: 0s",
        ("repeat_interval", "must be longer than 0s"): "repeat_interval",
    }
    for (path, message), needle in expected.items():
        hit = found.get((path, message))
        assert hit is not None, f"missing {path}: {message} in {sorted(found)}"
        assert hit.file == str(policy)
        assert hit.line == _line_of(policy, needle), (path, hit.line)
        assert str(hit).endswith(f"(line {hit.line})")
    step = found.get(("escalation.default[1].ack_timeout", "must be longer than 0s"))
    assert step is not None and step.file == str(root / "yingji.yaml")
    assert step.line == _line_of(root / "yingji.yaml", "ack_timeout: 0s")
    assert len(found) == len(expected) + 1, sorted(found)


def test_a_region_tree_that_would_misroute_is_an_error(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    regions = root / "_regions.yaml"
    _edit(regions, "{id: jiangbei, name: 江北区, level: district, parent: yunjiang,",
          "{id: jiangbei, name: 江北区, level: district, parent: gaoxin,")  # fmt: skip
    _edit(regions, "{id: gaoxin, name: 云江高新区, level: district, parent: yunjiang, aliases: [高新区,",
          "{id: gaoxin, name: 云江高新区, level: district, parent: jiangbei, aliases: [云江,")  # fmt: skip
    _edit(regions, 'codes: ["339903"]', 'codes: ["339900"]')
    messages = sorted(f"{p.path}: {p.message}" for p in _problems(root))
    assert messages == [
        "regions[2].codes[0]: code 339900 is also 'yunjiang''s",
        "regions[2].parent: 'jiangbei' is its own ancestor (parents loop)",
        "regions[3].aliases[0]: '云江' also names 'yunjiang'",
        "regions[3].parent: 'gaoxin' is its own ancestor (parents loop)",
    ]
    _edit(regions, 'codes: ["339971"]', 'codes: ["abc"]')
    assert [f"{p.path}: {p.message}" for p in _problems(root)] == [
        "regions[3].codes[0]: String should match pattern '^\\d{2,12}$' (got 'abc')"
    ]


def test_yaml_duplicate_keys_and_impossible_dates_name_their_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "yingji.yaml", "id: yingji\n", "id: yingji\nid: yingji2\n")
    _edit(root / "_policy.yaml", "holidays: [2026-01-01,", "holidays: [2026-02-30,")
    problems = {p.file: p for p in _problems(root)}
    dup = problems[str(root / "yingji.yaml")]
    assert dup.path.startswith(f"line {_line_of(root / 'yingji.yaml', 'id: yingji2')}, column 1")
    assert "duplicate key 'id' (first given on line" in dup.message
    date = problems[str(root / "_policy.yaml")]
    assert date.path.startswith(f"line {_line_of(root / '_policy.yaml', '2026-02-30')},")
    assert "'2026-02-30'" in date.message and "day is out of range" in date.message


def test_zero_waits_in_sources_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "defaults:\n  timeout: 0s\n  connect_timeout: 0s\nsources:\n"
        "  - {id: a, kind: feed, url: 'https://a.example/rss', interval: 0s}\n"
        "  - {id: b, kind: feed, url: 'https://b.example/rss', stale_after: 0s}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    assert sorted((p.path, p.message, p.line) for p in err.value.problems) == [
        ("defaults.connect_timeout", "must be longer than 0s", 3),
        ("defaults.timeout", "must be longer than 0s", 2),
        ("sources[0].interval", "must be longer than 0s", 5),
        ("sources[1].stale_after", "must be longer than 0s", 6),
    ]


def test_a_file_given_for_the_responders_directory_is_named_as_such(tmp_path: Path) -> None:
    file = tmp_path / "responders.yaml"
    file.write_text("x: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is a file; expected the responders directory"):
        load_responders(file)


def test_working_time_runs_in_the_policys_time_zone(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "_policy.yaml", "timezone: Asia/Shanghai", "timezone: Asia/Tokyo")
    r = load_responders(root)
    snap = freeze_policy(r, grade=3, kind="opinion", lead="yingji", departments=[("yingji", "lead")])
    cal = WorkCalendar.from_policy(snap["calendar"])
    # Tuesday 2026-11-24 09:00 in Tokyo is 08:00 in Shanghai: 30 working minutes end at 09:30 Tokyo time
    start = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert add_working_time(start, 1800, cal) == datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    assert add_working_time(start, 1800, WorkCalendar.from_policy({})) == datetime(
        2026, 11, 24, 1, 0, tzinfo=UTC
    )  # a snapshot frozen before the zone was stored: Shanghai, where 08:30 is 00:30 UTC


def test_a_value_outside_the_choices_is_quoted_back(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "shuiwu.yaml", "then: repeat}", "then: repaet}")
    (problem,) = [p for p in _problems(root) if p.path == "escalation.default[2].then"]
    assert problem.message == "Input should be 'escalate' or 'repeat' (got 'repaet')"


def test_shape_mistakes_say_what_shape_is_expected(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "empty.yaml").write_text("", encoding="utf-8")
    _edit(root / "shuiwu.yaml", "regions: [yunjiang]", "regions: yunjiang")
    found = {(p.file, p.path): p.message for p in _problems(root)}
    assert found[(str(root / "empty.yaml"), "")] == "the file is empty"
    assert found[(str(root / "shuiwu.yaml"), "regions")] == "expected a list (`- item` lines or [a, b])"


def test_retention_is_bounded_below_and_can_be_switched_off(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    policy = root / "_policy.yaml"
    assert load_responders(root).policy.retention.posts == timedelta(days=180)
    _edit(policy, "  posts: 180d", "  posts: 7d")
    [problem] = _problems(root)
    assert problem.path == "retention.posts" and problem.message.startswith("must be at least 8d")
    assert problem.line == _line_of(policy, "posts: 7d")
    _edit(policy, "  posts: 7d", "  posts: 999999d")  # would reach back before year 1
    [problem] = _problems(root)
    assert problem.message.startswith("must be at most 36500d; null keeps everything")
    _edit(policy, "  posts: 999999d", "  posts: null")
    assert load_responders(root).policy.retention.posts is None
    _edit(policy, "  posts: null", "  posts: forever")
    [problem] = _problems(root)
    assert problem.path == "retention.posts" and "expected duration" in problem.message


def _found(root: Path) -> list[tuple[str, str, str]]:
    return sorted((Path(p.file).name, p.path, p.message) for p in _problems(root))


def _misspell_name(path: Path) -> None:
    _edit(path, "\nname: ", "\nnme: ")


def test_a_broken_duty_desk_file_is_the_only_one_blamed(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    desk = root / "zhengfuban.yaml"
    _misspell_name(desk)  # the only duty desk, and qixiang's parent
    assert sorted((p.file, p.path, p.message, p.line) for p in _problems(root)) == [
        (str(desk), "name", "required key is missing", None),
        (str(desk), "nme", "unknown key", _line_of(desk, "nme: ")),
    ]
    _edit(desk, "id: zhengfuban\n", "id: [zhengfuban\n")  # not even YAML: its file name stands for its id
    [problem] = _problems(root)
    assert problem.file == str(desk) and "YAML syntax error" in problem.message


def test_a_broken_press_office_file_does_not_leave_the_city_without_one(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _misspell_name(root / "xuanchuan.yaml")
    assert _found(root) == [
        ("xuanchuan.yaml", "name", "required key is missing"),
        ("xuanchuan.yaml", "nme", "unknown key"),
    ]
    _edit(root / "xuanchuan.yaml", "kind: press_office", "kind: press")  # unreadable: may be the one
    assert [m for f, _, m in _found(root) if f == "responders"] == []


def test_a_parent_that_names_no_department_is_still_an_error(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _misspell_name(root / "zhengfuban.yaml")
    _edit(root / "qixiang.yaml", "parent: zhengfuban", "parent: zhengfuba")
    assert ("qixiang.yaml", "parent", "unknown department 'zhengfuba'") in _found(root)


def test_no_duty_desk_in_any_file_valid_or_broken_is_still_an_error(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    desk = root / "zhengfuban.yaml"
    _edit(desk, "kind: duty_desk", "kind: department")
    _misspell_name(desk)
    _misspell_name(root / "gongan.yaml")
    assert _found(root) == [
        ("gongan.yaml", "name", "required key is missing"),
        ("gongan.yaml", "nme", "unknown key"),
        ("responders", "", "expected exactly one department with kind: duty_desk, found 0"),
        ("zhengfuban.yaml", "name", "required key is missing"),
        ("zhengfuban.yaml", "nme", "unknown key"),
    ]
    _edit(root / "gongan.yaml", "kind: department", "kind: duty_desk")
    _edit(root / "yingji.yaml", "kind: department", "kind: duty_desk")
    assert ("responders", "", "expected exactly one department with kind: duty_desk, found 2") in _found(root)


def test_ids_that_a_broken_file_repeats_are_still_duplicates(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    copy = root / "zz-zhengfuban.yaml"
    copy.write_text((root / "zhengfuban.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    _edit(copy, "kind: duty_desk", "kind: department")
    _misspell_name(copy)
    duplicate = f"duplicate department id 'zhengfuban' (also in {root / 'zhengfuban.yaml'})"
    assert ("zz-zhengfuban.yaml", "id", duplicate) in _found(root)
    _edit(copy, "id: zhengfuban\n", "id: zz-zhengfuban\n")
    found = _found(root)
    person = "duplicate person id 'zhengfuban.duty' (also in zhengfuban)"
    assert ("zz-zhengfuban.yaml", "people[0].id", person) in found
    assert [m for f, _, m in found if f == "responders"] == []


def test_a_broken_file_lists_its_dangling_references_in_the_same_pass(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shuiwu = root / "shuiwu.yaml"
    _edit(shuiwu, "then: repeat}", "then: repaet}")  # a schema error ...
    _edit(shuiwu, "regions: [yunjiang]", "regions: [yunjiangg]")  # ... and four references naming nothing
    _edit(shuiwu, "fallback: mail", "fallback: mial")
    _edit(shuiwu, "{kind: wecom, channel: group}", "{kind: wecom, channel: grop}")
    _edit(shuiwu, "{notify: [role:head], ack_timeout: 30m}", "{notify: [role:hed], ack_timeout: 30m}")
    _edit(root / "qixiang.yaml", "parent: zhengfuban", "parent: zhengfuba")
    _misspell_name(root / "qixiang.yaml")
    assert _found(root) == [
        ("qixiang.yaml", "name", "required key is missing"),
        ("qixiang.yaml", "nme", "unknown key"),
        ("qixiang.yaml", "parent", "unknown department 'zhengfuba'"),
        ("shuiwu.yaml", "channels.group.fallback", "unknown channel 'mial'"),
        ("shuiwu.yaml", "escalation.default[1].notify[0]", "no person with role 'hed' in this department"),
        (
            "shuiwu.yaml",
            "escalation.default[2].then",
            "Input should be 'escalate' or 'repeat' (got 'repaet')",
        ),
        ("shuiwu.yaml", "people[0].contacts[0].channel", "unknown channel 'grop'"),
        ("shuiwu.yaml", "regions[0]", "unknown region 'yunjiangg'"),
    ]
    lines = {p.path: p.line for p in _problems(root) if p.file == str(shuiwu)}
    assert lines["people[0].contacts[0].channel"] == _line_of(shuiwu, "channel: grop")
    assert lines["escalation.default[1].notify[0]"] == _line_of(shuiwu, "role:hed")
    # each file's problems read from the top down, a missing key (no line) first
    in_order = [(Path(p.file).name, p.line) for p in _problems(root)]
    assert in_order == [
        ("qixiang.yaml", None),
        ("qixiang.yaml", _line_of(root / "qixiang.yaml", "nme: ")),
        ("qixiang.yaml", _line_of(root / "qixiang.yaml", "parent: ")),
        ("shuiwu.yaml", _line_of(shuiwu, "regions: ")),
        ("shuiwu.yaml", _line_of(shuiwu, "fallback: mial")),
        ("shuiwu.yaml", _line_of(shuiwu, "channel: grop")),
        ("shuiwu.yaml", _line_of(shuiwu, "role:hed")),
        ("shuiwu.yaml", _line_of(shuiwu, "then: repaet")),
    ]


def test_what_a_broken_file_leaves_unreadable_is_not_called_unknown(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shuiwu = root / "shuiwu.yaml"
    _edit(shuiwu, "role: head", "role: chief")  # role:head in the chains may mean this person
    _edit(shuiwu, "id: shuiwu.leader", "id: Shuiwu.Leader")  # person refs may mean this one
    _edit(shuiwu, "    kind: email\n", "    kind: e-mail\n")  # the channel `mail` exists, broken
    _edit(
        shuiwu, "{notify: [role:head], ack_timeout: 30m}", "{notify: [person:shuiwu.lead], ack_timeout: 30m}"
    )
    assert [(path, message.split(" (")[0]) for _, path, message in _found(root)] == [
        ("channels.mail.kind", "Input should be 'dingtalk', 'wecom', 'feishu', 'email', 'sms', 'voice', "
         "'webhook', 'alertmanager' or 'capture'"),
        ("people[1].role", "Input should be 'duty_officer', 'head', 'leader', 'press_office', 'admin' or "
         "'observer'"),
        ("people[2].id", "String should match pattern '^[a-z0-9][a-z0-9_.-]*$'"),
    ]  # fmt: skip
    # a role no person can have is unknown whatever the unreadable roles say
    _edit(shuiwu, "{notify: [role:leader], ack_timeout: 1h,", "{notify: [role:boss], ack_timeout: 1h,")
    assert (
        "shuiwu.yaml",
        "escalation.default[2].notify[0]",
        "no person with role 'boss' in this department",
    ) in _found(root)


@pytest.mark.parametrize(
    "body",
    [
        "channels: [group]\npeople: {id: x}\nescalation:\n  default: role:head\n  I: [[1], {notify: 7}]\n",
        "channels: {group: 5, 7: {kind: sms}}\npeople: [7, {id: [a], role: [head], contacts: {kind: sms}}]\n"
        "escalation: {default: [{notify: [role:head, person:a, channel:7]}], II: {notify: x}}\n",
        "regions: {yunjiang: 1}\nescalation: []\n"
        "people: [{id: a, name: A, role: head, contacts: [{kind: wecom, channel: []}]}]\n",
    ],
)
def test_a_broken_file_of_the_wrong_shapes_gets_only_its_schema_errors(tmp_path: Path, body: str) -> None:
    root = _copy(tmp_path)
    shuiwu = root / "shuiwu.yaml"
    head, _, _ = shuiwu.read_text(encoding="utf-8").partition("regions:")
    shuiwu.write_text(head + body, encoding="utf-8")
    found = _found(root)
    assert {f for f, _, _ in found} == {"shuiwu.yaml"}
    assert not [m for _, _, m in found if m.startswith(("unknown", "no person"))], found


def test_an_alias_that_names_another_department_is_an_error_on_its_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shuiwu = root / "shuiwu.yaml"
    _edit(shuiwu, "aliases: [云江水务集团, 云江市水务集团有限公司]", "aliases: [云江水务集团, 住建局]")
    (problem,) = _problems(root)
    assert (problem.file, problem.path) == (str(shuiwu), "aliases[1]")
    assert "'住建局' also names department 'zhujian'" in problem.message
    assert problem.line == _line_of(shuiwu, "aliases:")
