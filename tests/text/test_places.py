"""Places outside the city: the shipped division table, its generator, and finding names among tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.text.places import Division, OutsidePlaces, PlacesError, read_places
from monitor.text.training.places import rows_from_adcodes, short_names


@pytest.fixture(scope="module")
def divisions() -> list[Division]:
    return read_places()


def test_the_shipped_table_covers_every_province_and_its_divisions(divisions: list[Division]) -> None:
    by_level = {level: [d for d in divisions if d.level == level] for level in ("province", "prefecture")}
    assert len(by_level["province"]) == 34
    assert len(by_level["prefecture"]) > 300
    provinces = {d.code for d in by_level["province"]}
    assert all(d.code[:2] + "0000" in provinces for d in divisions)  # every division lies in a province
    names = {n for d in divisions for n in d.names}
    assert {"山东", "广西", "内蒙古", "新疆", "延边州", "宁阳县", "杭州"} <= names
    assert not {"大同", "中山", "县", "市辖区"} & names  # everyday words and placeholders are left out


@pytest.mark.parametrize(
    ("name", "level", "short"),
    [
        ("山东省", "province", ["山东"]),
        ("广西壮族自治区", "province", ["广西"]),
        ("新疆维吾尔自治区", "province", ["新疆"]),
        ("内蒙古自治区", "province", ["内蒙古"]),
        ("北京市", "province", ["北京"]),
        ("香港特别行政区", "province", ["香港"]),
        ("延边朝鲜族自治州", "prefecture", ["延边", "延边州"]),
        ("伊犁哈萨克自治州", "prefecture", ["伊犁", "伊犁州"]),
        ("锡林郭勒盟", "prefecture", ["锡林郭勒"]),
        ("大同市", "prefecture", []),  # a word: 世界大同
        ("宁阳县", "county", []),  # counties keep their full name only
    ],
)
def test_short_names(name: str, level: str, short: list[str]) -> None:
    assert short_names(name, level) == short


def test_the_generator_skips_placeholders_and_two_character_counties() -> None:
    rows = rows_from_adcodes(
        [
            {"adcode": "370000000000", "name": "山东省"},
            {"adcode": "370900000000", "name": "泰安市"},
            {"adcode": "370921000000", "name": "宁阳县"},
            {"adcode": "110100000000", "name": "市辖区"},
            {"adcode": "320322000000", "name": "沛县"},
            {"adcode": "370921100000", "name": "某某镇"},  # below county level
        ]
    )
    assert rows == [("370000", "山东省", ["山东"]), ("370900", "泰安市", ["泰安"]), ("370921", "宁阳县", [])]


def test_a_malformed_table_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "places.tsv"
    path.write_text("# header\n370000\t山东省\t山东\n37\t泰安\n", encoding="utf-8")
    with pytest.raises(PlacesError, match=r"places\.tsv:3: expected"):
        read_places(path)


def test_outside_names_are_found_in_order_once_each(divisions: list[Division]) -> None:
    outside = OutsidePlaces(divisions, ["云江市", "云江", "滨江区", "滨江"], ["云江市", "云江"])
    assert outside.find(("山东", "宁阳", "发生", "透水", "事故")) == ("山东",)
    assert outside.find(("广西壮族自治区", "百色市", "暴雨", "广西")) == ("广西壮族自治区", "百色市", "广西")
    assert outside.find(("宁阳", "县", "一", "煤矿")) == ("宁阳县",)  # a name cut before its level
    assert outside.find(("北京", "时间", "今天")) == ()  # the time zone, not the place
    assert outside.find(("北京", "发布", "通知")) == ("北京",)
    assert outside.find(("滨江区", "停水")) == ()  # the city's own names are never outside
    assert outside.find(("小区", "停水", "三天")) == ()


def test_the_city_its_province_and_its_own_divisions_are_not_outside(divisions: list[Division]) -> None:
    outside = OutsidePlaces(divisions, ["湖州市", "湖州", "吴兴区"], ["湖州市", "湖州"])
    tokens = ("浙江", "湖州", "安吉县", "杭州", "宁波", "江苏")
    assert outside.find(tokens) == ("杭州", "宁波", "江苏")


def test_local_names_that_are_also_places_elsewhere_are_known(divisions: list[Division]) -> None:
    outside = OutsidePlaces(divisions, ["云江市", "云江", "江北区", "江北", "青石县", "高新区"], ["云江市"])
    assert outside.shared == {"江北区", "高新区"}  # 重庆's and 宁波's 江北区; a zone word every city has


def test_the_generator_names_a_missing_or_foreign_input(tmp_path: Path, capsys) -> None:
    from monitor.text.training.places import main

    with pytest.raises(SystemExit):
        main(["--adcodes", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out.tsv")])
    assert "nope.csv: no such file" in capsys.readouterr().err
    other = tmp_path / "other.csv"
    other.write_text("code,title\n1,x\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["--adcodes", str(other), "--out", str(tmp_path / "out.tsv")])
    assert "expected cpca's adcodes.csv" in capsys.readouterr().err
    good = tmp_path / "adcodes.csv"
    good.write_text("adcode,name\n370000000000,山东省\n370921000000,宁阳县\n", encoding="utf-8")
    assert main(["--adcodes", str(good), "--out", str(tmp_path / "out.tsv")]) == 0
    assert [d.name for d in read_places(tmp_path / "out.tsv")] == ["山东省", "宁阳县"]
