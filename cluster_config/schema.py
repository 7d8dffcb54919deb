"""The building blocks of the YAML contract, shared by ``model.py`` and the components' own fragments."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"

GroupName = Annotated[str, StringConstraints(min_length=1, max_length=24, pattern=NAME_PATTERN)]
ChartVersion = Annotated[str, StringConstraints(pattern=r"^v?\d+\.\d+\.\d+$")]
Namespace = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=NAME_PATTERN)]
Image = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._/:@-]*$", max_length=255)]


class Strict(BaseModel):
    """Unknown keys are errors, values are never coerced, and a parsed file cannot change."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True)
