"""Parameter types every check family may use in its gate-file schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: Bootstrap resamples or permutations of a check: 100,000 is far past any stated precision
#: (the Monte Carlo error of a 95% bound at 10,000 resamples is already ~0.2%), and a typo of
#: 10**12 must be refused, not run for days.
Resamples = Annotated[int, Field(ge=1, le=100_000)]


class RelativeMargin(BaseModel):
    """``margin: {relative: 0.02}``: a margin as a share of the reference's metric."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    relative: float = Field(gt=0.0, le=10.0)
