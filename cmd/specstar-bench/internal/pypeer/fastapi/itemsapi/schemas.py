"""Pydantic schemas of the API."""
import enum
from datetime import datetime, timezone

from pydantic import BaseModel, conint, constr, validator


class Category(str, enum.Enum):
    alpha = "alpha"
    beta = "beta"
    gamma = "gamma"
    delta = "delta"
    epsilon = "epsilon"
    zeta = "zeta"
    eta = "eta"
    theta = "theta"


class ItemIn(BaseModel):
    title: constr(min_length=1, max_length=200)
    category: Category
    happened_at: datetime
    body: constr(max_length=4000) = ""
    score: conint(ge=0) = 0

    @validator("happened_at")
    def in_utc(cls, v):
        # Times are kept in UTC; SQLite keeps no time zone and returns them naive.
        return v.replace(tzinfo=timezone.utc) if v.tzinfo is None else v.astimezone(timezone.utc)


class ItemOut(ItemIn):
    id: int

    class Config:
        orm_mode = True
