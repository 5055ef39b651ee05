"""属地管理、分级负责、谁主管谁负责: picks the lead and supporting departments, with reasons (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.config.departments import Department
from monitor.config.responders import Responders
from monitor.incidents.grades import GRADE_LABELS, is_major

LOCAL_LEVELS = ("district", "county", "town")
ROLE_LABELS = {"lead": "主办", "support": "协办", "coordinator": "统筹", "informed": "知会"}
UNCLAIMED = "主管部门不明"  # how the reason starts when the duty desk leads for want of a department's claim
MAX_SUPPORT = 3
# A 协办 is paged and gets an escalation chain, so it needs evidence of its own: its keywords in the text,
# a 险情 it leads, or the event's topic when the analysis is sure of it. The topic model knows the seven
# 一级标签 of 12345 complaints; on an earthquake or a joke thread its best guess scores 0.1-0.4 (the 495
# labelled 12345 messages, scored out of fold: 21 under 0.5), and such a guess alone named 协办 on 48 of the
# replay's 125 incidents.
SUPPORT_TOPIC_CONFIDENCE = 0.5
# The lead needs the same kind of evidence, at a lower bar: scored out of fold, 2 of the 495 labelled 12345
# messages have a best topic under 0.3, and both are wrong. When no department has such a claim (a viral
# thread read as 城乡建设 at 0.13), the duty desk leads, to look at it and reassign it (改派): a guess would
# page a department that has nothing to do with it.
LEAD_TOPIC_CONFIDENCE = 0.3
HEARD_WEIGHT = 0.1  # a word only other posts say ranks guesses; under one title keyword even four times over


@dataclass(frozen=True)
class RouteRequest:
    """What is known about the matter: domain, places, severity, words, and any explicit assignment."""

    topic: str | None
    regions: tuple[str, ...] = ()
    grade: int = 4
    text: str = ""
    # the responders' keywords and department names said by a real share of the posts (as the analyser
    # found them, lower-cased): named in the reasons as leads for the duty desk, not counted as evidence
    words: tuple[str, ...] = ()
    department_hint: str | None = None
    preferred_lead: str | None = None
    # the unit a 12345 order was dispatched to (承办单位), for an incident the order opened: the department
    # of that name (or alias) leads, as the hotline decided
    dispatched_to: str | None = None
    dispatched_support: tuple[str, ...] = ()  # and the units it dispatched to help (协办单位): they support
    # the 险情 that made it an incident (Decision.hazards: an explosion reported, not a 12345 complaint's
    # 火灾隐患): the departments that list them in their keywords lead
    hazards: tuple[str, ...] = ()
    # how sure the analysis is of `topic` (the mean topic score of the event's posts, 0..1): the topic alone
    # makes its department the lead at LEAD_TOPIC_CONFIDENCE or more, a 协办 at SUPPORT_TOPIC_CONFIDENCE
    topic_confidence: float = 1.0


@dataclass(frozen=True)
class Route:
    """The decision: one lead (主办), the others with their roles, the jurisdiction and every reason."""

    lead: str
    departments: tuple[tuple[str, str], ...]
    region: str | None
    reasons: tuple[str, ...] = field(default_factory=tuple)
    # departments named without being paged: the guess when the duty desk leads, then those under 未列为协办
    candidates: tuple[str, ...] = ()

    @property
    def supporting(self) -> list[str]:
        return [d for d, role in self.departments if role == "support"]


def jurisdiction(r: Responders, regions: tuple[str, ...], reasons: list[str]) -> str:
    """One region: the place itself, or the lowest common ancestor when several places are involved."""
    known = [x for x in dict.fromkeys(regions) if x in r.regions]
    unknown = [x for x in regions if x not in r.regions]
    if unknown:
        reasons.append(f"未知属地已忽略：{'、'.join(unknown)}")
    if not known:
        reasons.append(f"属地不明 → 按{r.city.name}处理")
        return r.city.id
    chains = {x: [c.id for c in r.region_chain(x)] for x in known}
    specific = [x for x in known if not any(x in chains[y][1:] for y in known if y != x)]
    if len(specific) == 1:
        reasons.append(f"属地：{r.regions[specific[0]].name}")
        return specific[0]
    common = [c for c in chains[specific[0]] if all(c in chains[y] for y in specific)]
    top = common[0] if common else r.city.id
    names = "、".join(r.regions[x].name for x in specific)
    reasons.append(f"涉及多个属地（{names}）→ 由上级（{r.regions[top].name}）主管部门牵头")
    return top


def _family(r: Responders, d: Department) -> str:
    """The top of a department's line of parents within the same domain (区住建局 → 市住建局)."""
    seen = {d.id}
    while d.parent and d.parent in r.departments and r.departments[d.parent].kind == "department":
        d = r.departments[d.parent]
        if d.id in seen:
            break
        seen.add(d.id)
    return d.id


def dispatched_department(r: Responders, unit: str) -> str | None:
    """The department a 12345 承办单位 (or 协办单位) names: its name, short name or an alias, exactly;
    else the longest of those the unit contains (滨江区住建局望江所 → 滨江区住建局); else the one department
    whose name contains the unit (水务局 → 云江市水务局). None when no department, or more than one, fits."""
    unit = "".join(unit.split())
    if not unit:
        return None
    names = [
        (n, d.id)
        for d in r.departments.values()
        if d.kind == "department"
        for n in dict.fromkeys((d.name, d.short_name, *d.aliases))
        if n
    ]
    exact = {d for n, d in names if n == unit}
    if len(exact) == 1:
        return exact.pop()
    within = sorted(((len(n), d) for n, d in names if n in unit), reverse=True)
    if within and (len(within) == 1 or within[0][0] > within[1][0] or within[0][1] == within[1][1]):
        return within[0][1]
    around = {d for n, d in names if unit in n}
    return around.pop() if len(around) == 1 else None


def hazards_without_lead(r: Responders, hazards: Iterable[str]) -> list[str]:
    """The 险情 no department lists in its keywords: their incidents go where topic and keywords point."""
    owned = {k for d in r.departments.values() if d.kind == "department" for k in d.keywords}
    return [h for h in hazards if h not in owned]


def _hazard_owners(r: Responders, hazards: tuple[str, ...]) -> set[str]:
    """Departments that list a detected 险情 among their keywords: an emergency is theirs to lead."""
    return {d.id for d in r.departments.values() if d.kind == "department" and set(d.keywords) & set(hazards)}


@dataclass(frozen=True)
class _Claim:
    """Why a department is a candidate: its score, the reasons, and whether it could lead or support."""

    score: float
    why: list[str]
    # keywords, an owned 险情, or a topic the analysis is sure enough of (not a guess, nor the analyser's
    # pick alone, which follows the same guess)
    leads: bool
    supports: bool


def _scores(r: Responders, req: RouteRequest) -> dict[str, _Claim]:
    """Score each owning department: topic 3, the analyser's pick 2, each keyword 1."""
    out: dict[str, _Claim] = {}
    sure = req.topic_confidence >= SUPPORT_TOPIC_CONFIDENCE
    fair = req.topic_confidence >= LEAD_TOPIC_CONFIDENCE
    for d in r.departments.values():
        if d.kind != "department":
            continue
        score, why = 0.0, []
        topic = bool(req.topic and req.topic in d.topics)
        if topic:
            score += 3
            why.append(f"主管领域“{req.topic}”" + ("" if sure else f"·置信{req.topic_confidence:.2f}"))
        if req.department_hint == d.id:
            score += 2
            why.append("文本分析指向")
        names = [n for n in dict.fromkeys((d.name, d.short_name, *d.aliases)) if n]
        hits = [k for k in d.keywords if k and k in req.text]
        # its name counts as one of its words, once ("水务局能不能出来说明" calls on the bureau), as for the
        # analyser's pick
        named = [n for n in names if n in req.text and n not in hits]
        hits += [max(named, key=len)] if named else []
        if hits:
            score += len(hits)
            why.append(f"关键词：{'、'.join(hits[:4])}")
        # its words that only the event's other posts say: a lead for whoever looks at the incident, not
        # evidence. Counted as evidence, they made 333 supports of 145 for the 495 labelled 12345 messages
        # (the whole text against its first 80 characters, the lead unchanged), and moved 8 of the replay's 14
        # changed routes the wrong way (a joke list's 污染, a donation thread's 学校).
        heard = [w for w in dict.fromkeys((*d.keywords, *names)) if w and w not in hits and _heard(req, w)]
        if heard:
            score += HEARD_WEIGHT * len(heard[:4])
            why.append(f"帖文提及：{'、'.join(heard[:4])}")
        # a 险情 that opened the incident is found by its words (自然灾害 by 滑坡, 交通事故 by 车祸): its
        # owner is a candidate even when the text never says the 险情's name
        owned = [h for h in req.hazards if h in d.keywords and h not in hits]
        if owned:
            score += len(owned)
            why.append(f"主管险情：{'、'.join(owned)}")
        if score:
            said = bool(hits or owned)
            out[d.id] = _Claim(score, why, leads=said or (topic and fair), supports=said or (topic and sure))
    return out


def _heard(req: RouteRequest, word: str) -> bool:
    """Enough of the event's posts say the word, though the title does not."""
    return word not in req.text and word.lower() in req.words


def _best_member(r: Responders, family: list[str], chain: list[str]) -> str | None:
    """The family member whose jurisdiction is nearest to the place (most specific)."""
    best: tuple[int, str] | None = None
    for dept_id in family:
        covered = [chain.index(x) for x in r.departments[dept_id].regions if x in chain]
        if covered and (best is None or min(covered) < best[0]):
            best = (min(covered), dept_id)
    return best[1] if best else None


def route(r: Responders, req: RouteRequest) -> Route:
    """Pick the lead (主办), supporting (协办), coordinating and informed departments."""
    reasons: list[str] = []
    region = jurisdiction(r, req.regions, reasons)
    chain = [x.id for x in r.region_chain(region)]
    desk = r.duty_desk
    roles: dict[str, str] = {}
    lead: str | None = None
    if req.preferred_lead and req.preferred_lead in r.departments:
        lead = req.preferred_lead
        reasons.append(f"12345派单指定主办单位：{r.departments[lead].name}")
    elif req.dispatched_to:
        lead = dispatched_department(r, req.dispatched_to)
        if lead is not None:
            reasons.append(f"12345派单至“{req.dispatched_to}” → 主办：{r.departments[lead].name}")
        else:
            reasons.append(
                f"12345承办单位“{req.dispatched_to}”不对应任何一个部门（可在部门的 aliases 中登记）"
                " → 按领域和关键词确定主办"
            )
    scores = _scores(r, req)
    families: dict[str, list[str]] = {}
    for dept_id in scores:
        families.setdefault(_family(r, r.departments[dept_id]), []).append(dept_id)
    owners = _hazard_owners(r, req.hazards)
    ranked = sorted(
        families.items(),
        key=lambda kv: (not owners & set(kv[1]), -max(scores[d].score for d in kv[1]), kv[0]),
    )
    placed = [(fam, _best_member(r, [*members, fam], chain)) for fam, members in ranked]
    in_place = [(fam, member) for fam, member in placed if member is not None]
    able = [(fam, m) for fam, m in in_place if any(scores[d].leads for d in families[fam])]
    guessed: tuple[str, str] | None = None
    if lead is None and able:
        fam, lead = able[0]
        why = "；".join(_claim(scores, families, fam).why)
        reasons.append(f"主管部门：{r.departments[lead].name}（{why}）")
        if owners & set(families[fam]):
            hazards = "、".join(h for h in req.hazards if h in r.departments[lead].keywords) or "险情"
            reasons.append(f"突发险情（{hazards}）由主管该险情的部门牵头")
    elif lead is None and in_place:
        guessed = in_place[0]
    if lead is None:
        lead = desk.id
        missed = "、".join(r.departments[f].name for f, m in placed if m is None)
        extra = f"（{missed}对该属地无管辖）" if missed else ""
        if guessed is None:
            reasons.append(f"无法确定主管部门{extra} → {desk.name}总值班兜底，绝不丢弃")
        else:
            why = "；".join(_claim(scores, families, guessed[0]).why)
            reasons.append(
                f"{UNCLAIMED}：{r.departments[guessed[1]].name}仅凭推测（{why}）{extra}"
                f" → {desk.name}总值班研判，可改派"
            )
    lead = _escalate_lead(r, lead, req.grade, reasons, roles)
    roles = {lead: "lead", **{k: v for k, v in roles.items() if k != lead}}
    lead_family = _family(r, r.departments[lead])
    _dispatched_support(r, req.dispatched_support, roles, reasons)
    taken = {lead_family, *(_family(r, r.departments[d]) for d in roles)}
    others = [(fam, m) for fam, m in in_place if fam not in taken and m not in roles]
    backed = [(fam, m) for fam, m in others if any(scores[d].supports for d in families[fam])]
    for fam, member in backed[:MAX_SUPPORT]:
        roles[member] = "support"
        why = "；".join(_claim(scores, families, fam).why)
        reasons.append(f"协办：{r.departments[member].name}（{why}）")
    candidates = [guessed[1]] if guessed else []
    for fam, member in others:
        if (fam, member) not in backed and (fam, member) != guessed:
            why = "；".join(_claim(scores, families, fam).why)
            reasons.append(f"未列为协办（仅凭推测，可人工加派）：{r.departments[member].name}（{why}）")
            candidates.append(member)
    _local_support(r, req, lead, roles, reasons)
    if is_major(req.grade):
        if desk.id not in roles:
            roles[desk.id] = "coordinator"
        for press in r.press_offices:
            roles.setdefault(press.id, "support")
        reasons.append(f"{GRADE_LABELS[req.grade]}：{desk.name}统筹协调，新闻办参与权威发布和新闻发布会")
    named = tuple(d for d in candidates if d not in roles)  # a 属地协办 or the press office is paged anyway
    return Route(lead, tuple(roles.items()), region, tuple(reasons), named)


def _dispatched_support(
    r: Responders, units: tuple[str, ...], roles: dict[str, str], reasons: list[str]
) -> None:
    """The 12345 platform's 协办单位 support, as it decided."""
    for unit in units:
        dept = dispatched_department(r, unit)
        if dept is None:
            reasons.append(f"12345协办单位“{unit}”不对应任何一个部门（可在部门的 aliases 中登记）")
        elif dept not in roles:
            roles[dept] = "support"
            reasons.append(f"12345派单协办：{unit} → {r.departments[dept].name}")


def _claim(scores: dict[str, _Claim], families: dict[str, list[str]], fam: str) -> _Claim:
    """The strongest claim within a family (区住建局 and 市住建局 count as one candidate)."""
    return max((scores[d] for d in families[fam]), key=lambda c: c.score)


def _escalate_lead(r: Responders, lead: str, grade: int, reasons: list[str], roles: dict[str, str]) -> str:
    """垂直管理 → the higher-level office coordinates; Ⅰ/Ⅱ at a local department → its city department."""
    d = r.departments[lead]
    if d.vertical:
        upper = r.departments.get(d.parent) if d.parent else None
        upper = upper or r.duty_desk
        reasons.append(f"{d.name}为垂直管理部门 → 由上级机关{upper.name}协调牵头，{d.name}协办")
        roles[d.id] = "support"
        return upper.id
    if is_major(grade) and d.level in LOCAL_LEVELS and d.parent in r.departments:
        upper = r.departments[d.parent]
        reasons.append(f"分级负责：{GRADE_LABELS[grade]}由{upper.name}牵头，{d.name}协办")
        roles[d.id] = "support"
        return upper.id
    return lead


def _local_support(
    r: Responders, req: RouteRequest, lead: str, roles: dict[str, str], reasons: list[str]
) -> None:
    """When a higher-level department leads, the lead's local offices for the places involved support."""
    fam = _family(r, r.departments[lead])
    for place in dict.fromkeys(req.regions):
        if place not in r.regions:
            continue
        chain = [x.id for x in r.region_chain(place)]
        for d in r.departments.values():
            if d.id in roles or d.kind != "department" or _family(r, d) != fam or d.id == fam:
                continue
            if any(x in chain for x in d.regions):
                roles[d.id] = "support"
                reasons.append(f"属地协办：{d.name}")
