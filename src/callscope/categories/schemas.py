"""Category schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints, field_validator

from callscope.api.types import InputModel, OutputModel, Slug, refuse_null

Example = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Examples = Annotated[list[Example], Field(max_length=200)]
CategoryName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=4000)]


class CategoryCreate(InputModel):
    key: Slug = Field(description="stable identifier: lower case letters, digits and _")
    name: CategoryName
    description: Description = ""
    examples: Examples = Field(default_factory=list, description="example phrases or transcripts")
    is_lead: StrictBool = False


class CategoryUpdate(InputModel):
    name: CategoryName | None = None
    description: Description | None = None
    examples: Examples | None = None
    is_lead: StrictBool | None = None

    _not_null = field_validator("name", "description", "examples", "is_lead")(refuse_null)


class CategoryPublic(OutputModel):
    id: int
    key: str
    name: str
    description: str
    examples: list[str]
    is_lead: bool
    builtin: bool
    created_at: datetime
