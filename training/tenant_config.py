"""A tenant's own YAML settings files (``redaction.yaml``, ``mining.yaml``) read into pydantic models.

One reader, so every such file fails the same way: a ``ConfigError`` that names the file and each
invalid field, says what was expected, and tells the admin to fix the file or remove it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from suggest.errors import ConfigError
from training.tenant_models import tenant_dir

Model = TypeVar("Model", bound=BaseModel)


def tenant_file(data_dir: Path, tenant: str, file_name: str) -> Path:
    return tenant_dir(data_dir, tenant) / file_name


def load_tenant_yaml(
    data_dir: Path, tenant: str, file_name: str, model: type[Model], *, what: str = "settings"
) -> Model | None:
    """The tenant's ``file_name`` as ``model``; None when the tenant has no such file. An empty file
    is the model's defaults. ``what`` names the settings in errors ("the mining rules are invalid")."""
    path = tenant_file(data_dir, tenant, file_name)
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"{path} is not readable YAML ({err}); fix the file or remove it.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} must hold a mapping of settings ({', '.join(model.model_fields)}), "
            f"found {type(data).__name__}; fix the file or remove it."
        )
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'file'}: {str(e['msg']).removeprefix('Value error, ')}"
            for e in err.errors()
        )
        raise ConfigError(f"{path}: the {what} are invalid: {problems}. Fix the file or remove it.") from None
