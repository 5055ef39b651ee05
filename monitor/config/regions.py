"""The region tree (属地): city, districts/counties and towns, with aliases and 12345 region codes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from monitor.config.types import STRICT

RegionLevel = Literal["province", "city", "district", "county", "town"]


class Region(BaseModel):
    """One administrative area; `parent` is null only for the root (the city)."""

    model_config = STRICT

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1)
    level: RegionLevel
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    # 行政区划代码 as the 12345 platform sends them (6 digits for a district, 9 or 12 for a town)
    codes: tuple[Annotated[str, Field(pattern=r"^\d{2,12}$")], ...] = ()


class RegionsFile(BaseModel):
    """`responders/_regions.yaml`."""

    model_config = STRICT

    regions: tuple[Region, ...] = Field(min_length=1)
