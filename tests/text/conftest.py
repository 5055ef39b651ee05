"""A small, fixed responders/ directory so text tests do not depend on the shipped example city."""

from __future__ import annotations

from pathlib import Path

import pytest

REGIONS = """
regions:
  - {id: yunjiang, name: 云江市, level: city, aliases: [云江], codes: ["339900"]}
  - {id: binjiang, name: 滨江区, level: district, parent: yunjiang, aliases: [滨江], codes: ["339902"]}
  - {id: jiangbei, name: 江北区, level: district, parent: yunjiang, aliases: [江北], codes: ["339903"]}
  - {id: binjiang-jiangbin, name: 江滨街道, level: town, parent: binjiang, codes: ["339902001"]}
"""
POLICY = """
clocks:
  I: [{kind: statement, within: 5h}]
  II: [{kind: statement, within: 5h}]
  III: [{kind: response, within: 48h}]
  IV: [{kind: response, within: 48h}]
hotline:
  limits: {紧急: 2h, 一般: 7d}
  open_incident_urgencies: [紧急]
  risk_words: [跳楼, 聚集]
casualty_criteria:
  - {grade: I, deaths_min: 30, injured_min: 100}
  - {grade: II, deaths_min: 10, injured_min: 50}
  - {grade: III, deaths_min: 3, injured_min: 10}
  - {grade: IV, deaths_min: 1, injured_min: 1}
"""
DEPARTMENT = """
id: {id}
name: {name}
kind: {kind}
level: {level}
regions: [{region}]
topics: [{topics}]
keywords: [{keywords}]
people:
  - {{id: {id}.duty, name: 值班员, role: duty_officer}}
escalation:
  default:
    - {{notify: [role:duty_officer], ack_timeout: 15m}}
"""
DEPARTMENTS = [
    ("zhengfuban", "云江市人民政府办公室", "duty_desk", "city", "yunjiang", "", ""),
    ("xuanchuan", "云江市委宣传部", "press_office", "city", "yunjiang", "", ""),
    (
        "yingji",
        "云江市应急管理局",
        "department",
        "city",
        "yunjiang",
        "安全生产/应急",
        "爆炸, 坍塌, 化工厂, 伤亡",
    ),
    ("zhujian", "云江市住房和城乡建设局", "department", "city", "yunjiang", "城乡建设", "物业, 小区, 违建"),
    ("binjiang-zhujian", "滨江区住建局", "department", "district", "binjiang", "城乡建设", "物业, 小区"),
    ("renshe", "云江市人社局", "department", "city", "yunjiang", "劳动和社会保障", "欠薪, 讨薪, 社保"),
    ("shuiwu", "云江市水务局", "department", "city", "yunjiang", "水务", "停水, 自来水, 水质, 供水"),
]


@pytest.fixture(scope="session")
def responders_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("responders")
    (root / "_regions.yaml").write_text(REGIONS, encoding="utf-8")
    (root / "_policy.yaml").write_text(POLICY, encoding="utf-8")
    for dept_id, name, kind, level, region, topics, keywords in DEPARTMENTS:
        text = DEPARTMENT.format(
            id=dept_id, name=name, kind=kind, level=level, region=region, topics=topics, keywords=keywords
        )
        (root / f"{dept_id}.yaml").write_text(text, encoding="utf-8")
    return root
