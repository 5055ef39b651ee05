"""Casualty extraction, grading by the criteria table, hazard words, accounts and 12345 urgency."""

from __future__ import annotations

import pytest

from monitor.text.severity import (
    DEFAULT_CRITERIA,
    Casualties,
    CasualtyRule,
    account_involvement,
    extract_casualties,
    find_hazards,
    grade_casualties,
    hotline_urgent,
    load_account_rules,
    load_hazards,
)


@pytest.mark.parametrize(
    ("text", "deaths", "injured", "missing"),
    [
        ("某化工厂发生爆炸，造成3人死亡、12人受伤，2人失踪", 3, 12, 2),
        # count-first lists: the 35 belongs to 受伤, not to the 死亡 before it
        ("青石县化工园区爆炸事故已致11人死亡35人受伤", 11, 35, 0),
        ("爆炸已致11人死亡35人受伤，2人失联", 11, 35, 2),
        ("事故造成死亡3人受伤10人", 3, 10, 0),
        ("事故已致十二人遇难", 12, 0, 0),
        ("车祸致3死5伤", 3, 5, 0),
        ("截至目前，死亡人数升至31人", 31, 0, 0),
        ("1名工人当场死亡", 1, 0, 0),
        ("两名儿童溺亡", 2, 0, 0),
        ("造成数十人受伤", 0, 20, 0),
        ("事故造成伤亡10人", 0, 10, 0),
        ("有5名学生食物中毒送医", 0, 5, 0),
        ("仍有3人失联", 0, 0, 3),
        ("先报2人死亡，后死亡人数升至5人", 5, 0, 0),  # the larger, later figure wins
        ("目前无人员伤亡", 0, 0, 0),
        ("2020年3月5日发布", 0, 0, 0),
        ("10人伤心地离开了", 0, 0, 0),  # 伤心 is not an injury
        ("死亡人数已升至22人", 22, 0, 0),
        # one person named without a count is one casualty; explicit counts still win
        ("警方通报交通肇事致孕妇身亡", 1, 0, 0),
        ("药店被淹，女店员不幸遇难", 1, 0, 0),
        ("民警壮烈牺牲", 1, 0, 0),
        ("一名男子身亡，3名工人受伤", 1, 3, 0),
        ("两名儿童溺亡，一名儿童受伤", 2, 1, 0),
        ("孩子没有受伤", 0, 0, 0),
        ("所幸没有学生受伤", 0, 0, 0),
        ("学生死记硬背", 0, 0, 0),
        ("工人牺牲休息时间加班", 0, 0, 0),
        ("孩子不是牺牲品", 0, 0, 0),
        ("儿童死亡率下降", 0, 0, 0),
        # a denial between a count and the verb; the words that look like one but report a casualty
        ("车上5名乘客均未受伤", 0, 0, 0),
        ("真进10个曼奇尼不哭死？", 0, 0, 0),
        ("2人经抢救无效死亡，3人不治身亡", 3, 0, 0),
        ("2名未成年人溺亡", 2, 0, 0),
        ("3名无辜群众遇难", 3, 0, 0),
        ("3人未能逃生遇难", 3, 0, 0),
        ("3名儿童不慎落水溺亡，孩子不慎落水溺亡", 3, 0, 0),  # words between the two do not deny
        ("造成3人不同程度受伤", 0, 3, 0),
        ("2人无法逃生遇难", 2, 0, 0),
        ("2名乘客中无人受伤", 0, 0, 0),
        ("孩子没有被烧伤", 0, 0, 0),
        # the count and the verb in one clause: not across a hashtag, a headline, an emoticon or a repost
        ("#确诊老人隐瞒致百余人密切接触#老不死的东西", 0, 0, 0),
        ("差十个能补回来吗[悲伤]", 0, 0, 0),
        ("十个人都很悲伤", 0, 0, 0),
        ("爆炸致3人死亡 #化工厂爆炸# 10人受伤", 3, 10, 0),
        # an order, hours, idioms and curses are not counts of the dead
        ("下次发洪水，你第一个被淹死", 0, 0, 0),
        ("坐标:深圳第二人民医院 我们入院", 0, 0, 0),
        ("两个小时直至昏死过去", 0, 0, 0),
        ("看一个剪辑真是气死人了", 0, 0, 0),
        ("美国一死囚执行死刑前", 0, 0, 0),
        ("一个曼联死忠的背包客", 0, 0, 0),
        ("两个都喜欢的死去活来", 0, 0, 0),
        ("九死一生", 0, 0, 0),
        ("睡前死一死，我要去睡觉了", 0, 0, 0),
        ("持刀将三个初三学生捅死", 3, 0, 0),
        # verbs with none of the prefilter's characters (死伤亡…) are still read
        ("事故致2人丧生，5名矿工殒命", 5, 0, 0),
        ("3名工人不幸去世", 3, 0, 0),
        ("6天7位民辅警牺牲抗疫一线", 7, 0, 0),  # the words for a death that were read only without a count
        ("2名人质遇害，2名民警因公殉职", 2, 0, 0),
        ("3名工人牺牲休息时间", 0, 0, 0),
        ("计划只带一名左后卫去世界杯", 0, 0, 0),
        ("谢谢每一个为疫情牺牲的英雄", 0, 0, 0),
        ("2人经抢救无效", 2, 0, 0),
        ("3人中毒，4人下落不明", 0, 3, 4),
        # patients admitted to hospital are not injured; the injured admitted are
        ("1499名重症患者全部入院", 0, 0, 0),
        ("12名患者入院治疗", 0, 0, 0),
        ("4名学生被送医", 0, 4, 0),
        ("医院火灾致12名患者死亡", 12, 0, 0),
        # a bulletin's other words for a death, and 均 / 全部 / 经确认 taking the count back across commas
        ("3名被困人员已全部找到，均已无生命体征", 3, 0, 3),
        ("失联的6名人员，经确认，均已无生命体征", 6, 0, 6),
        ("2名驴友今天被搜救人员找到，经确认已无生命体征", 2, 0, 0),
        ("3名工人被埋，经全力搜救，均已死亡", 3, 0, 0),
        ("4名被困矿工经全力搜救后全部遇难", 4, 0, 4),
        ("被困的5人中，2人已无生命体征", 2, 0, 5),
        # the verb before its count with 的 between: people only
        ("遇难的3名矿工中有2名是父子", 3, 0, 0),
        ("搜救失踪的2位驴友", 0, 0, 2),
        ("死亡的100个理由", 0, 0, 0),
        ("失联的第3天", 0, 0, 0),
        ("事故致2人身故", 2, 0, 0),
        ("机上132人无一生还", 132, 0, 0),
        ("1名男子被发现时已无生命迹象", 1, 0, 0),
        ("男子已无生命体征", 1, 0, 0),
        ("8名被困人员全部获救，无人死亡", 0, 0, 8),  # 全部 before a rescue, not a death
        ("3名工人被埋，经过2小时搜救，均已死亡", 0, 0, 0),  # another number between: not taken back
        ("绑定60个号，抡都没抡全部死了", 0, 0, 0),  # accounts, and slang
        ("我们宿舍4个人都死定了", 0, 0, 0),
        ("2人受伤，均无生命危险", 0, 2, 0),
        ("姐弟两人1死1重伤", 1, 1, 0),
        ("伤亡人数达数百人", 0, 200, 0),
        ("伤亡人数为0", 0, 0, 0),
    ],
)
def test_extract_casualties(text: str, deaths: int, injured: int, missing: int) -> None:
    c = extract_casualties(text)
    assert (c.deaths, c.injured, c.missing) == (deaths, injured, missing)


@pytest.mark.parametrize(
    ("text", "injured", "serious", "grade"),
    [
        # 国务院令493号 grades 重伤: when the text says how badly, that count is graded
        ("事故造成2人死亡、57人受伤，其中5人重伤", 57, 5, 4),
        ("造成5人死亡，12人受伤，其中3人伤势较重", 12, 3, 3),
        ("截至目前，事故已造成21人死亡，1人重伤，5人轻伤", 5, 1, 2),
        ("事故造成1人死亡、108人轻伤", 108, 0, 4),
        ("一辆大客车侧翻，造成36人轻伤", 36, 0, None),
        ("3人受轻伤", 3, 0, None),
        ("男子受重伤", 1, 1, 4),
        ("其中重伤2人", 2, 2, 4),
        # when it does not, every injured person counts (the strict reading)
        ("造成15人受伤", 15, None, 3),
        ("13人受伤，其中11人轻伤", 13, None, 3),  # two left unsaid
        ("车祸致3死60伤", 60, None, 2),
    ],
)
def test_the_injured_graded_are_the_seriously_injured_when_the_text_says(
    text: str, injured: int, serious: int | None, grade: int | None
) -> None:
    c = extract_casualties(text)
    assert (c.injured, c.serious, grade_casualties(c)) == (injured, serious, grade)


def test_no_casualties_is_stated() -> None:
    assert extract_casualties("火已扑灭，未造成人员伤亡").none_stated
    assert extract_casualties("所幸无人受伤").none_stated
    assert not extract_casualties("3人受伤").none_stated


@pytest.mark.parametrize(
    ("deaths", "injured", "grade"),
    [
        (0, 0, None),
        (1, 0, 4),
        (2, 9, 4),
        (3, 0, 3),
        (9, 0, 3),
        (0, 10, 3),
        (10, 0, 2),
        (29, 0, 2),
        (0, 50, 2),
        (30, 0, 1),
        (0, 100, 1),
    ],
)
def test_grade_by_order_493(deaths: int, injured: int, grade: int | None) -> None:
    assert grade_casualties(Casualties(deaths, injured, 0), DEFAULT_CRITERIA) == grade


def test_grade_follows_the_table_given() -> None:
    strict = (CasualtyRule(1, deaths_min=5), CasualtyRule(2, missing_min=1))
    assert grade_casualties(Casualties(5, 0, 0), strict) == 1
    assert grade_casualties(Casualties(0, 0, 2), strict) == 2
    assert grade_casualties(Casualties(0, 0, 2), DEFAULT_CRITERIA) is None  # 493号 counts no missing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("小区燃气爆炸，楼体部分坍塌", {"爆炸", "坍塌"}),
        ("工地起火，浓烟滚滚", {"火灾"}),
        ("这是一条爆炸性新闻", set()),
        ("人气爆炸", set()),
        ("学校食堂食物中毒", {"中毒"}),
        ("数百人聚集在市政府门口拉横幅", {"群体性事件"}),
        ("今天天气很好", set()),
        # idioms and word-boundary look-alikes, which now open incidents when calm if they count
        ("随着火车的鸣笛，旅程开始", set()),  # 随着 + 火车, not 着火
        ("全国十大火炉城市", set()),
        ("我不能再忍受了，我会爆炸的", set()),
        ("朋友说了伤人的话", set()),
        ("白羊座：没事爱抽风，易伤人，还后悔", set()),  # a temperament, not an assault
        ("男子持刀伤人，已被控制", {"暴力伤人"}),
        ("随着火势蔓延，仓库起火", {"火灾"}),  # the look-alike does not hide a real one
        # everyday phrases of 12345 complaints and Weibo, each found in the data sets
        ("小区群已经炸开了锅", set()),
        ("房子屋顶落水管基本被挖烂", set()),
        ("痛打落水狗", set()),
        ("甚至跳楼价变卖房产", set()),
        ("过山车、海盗船、跳楼机是否属于特种设备", set()),
        ("大火收汁关火出锅", set()),
        ("店铺摆桌吃夜宵，矛盾冲突常常发生", set()),
        ("不要把正规旅游车视为洪水猛兽", set()),
        ("人行道铺的透水砖全坏了", set()),
        ("南京遭暴雨袭击多处道路积水", {"自然灾害"}),  # the weather, not an assault
        ("儿童落水溺亡", {"溺水"}),
    ],
)
def test_hazards(text: str, expected: set[str]) -> None:
    assert set(find_hazards(text, load_hazards())) == expected


@pytest.mark.parametrize(
    ("text", "author", "verified_type", "official", "media"),
    [
        ("通报", "平安云江", None, True, False),
        ("转发", "某网友", 1, True, False),
        ("转发", "某网友", 3, False, True),
        # an account the text quotes is involved: a repost chain, a source, the quoted speaker's colon
        ("//@平安云江:【警情通报】男子持刀伤人", "某网友", None, True, False),
        ("据@人民日报 报道，青石县…", "某网友", None, False, True),
        ("@长江日报 讯：清华食堂新增热干面", None, None, False, True),
        ("@平安云江 通报：男子已被控制", None, None, True, False),
        # one it calls on is not: people @ the police and the papers to be heard
        ("@人民日报 请关注", "某网友", None, False, False),
        ("@云江发布 何时处理", None, None, False, False),
        ("如此恶行只是免职就可以的吗？@平安华亭 @云间六扇门", None, None, False, False),
        ("回复@泉州公安:[黑线]", None, None, False, False),
        ("好吃", "某网友", 0, False, False),
    ],
)
def test_accounts(
    text: str, author: str | None, verified_type: int | None, official: bool, media: bool
) -> None:
    got_official, got_media, reasons = account_involvement(text, author, verified_type, load_account_rules())
    assert (got_official, got_media) == (official, media)
    assert bool(reasons) == (official or media)


@pytest.mark.parametrize(
    ("text", "urgency", "urgent"),
    [
        ("家里停水", "紧急", True),
        ("家里停水", "一般", False),
        ("工地欠薪，工人要跳楼", "一般", True),
        ("工地欠薪，工人要跳楼", None, False),  # not a 12345 order
    ],
)
def test_hotline_urgency(text: str, urgency: str | None, urgent: bool) -> None:
    assert hotline_urgent(text, urgency, ("紧急",), ("跳楼", "聚集"))[0] is urgent
