"""Settings, read from ``REPLYKIT_*`` environment variables (or a ``.env`` file) and validated once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from suggest.errors import ConfigError

EmbedBackend = Literal["auto", "onnx", "torch", "fake"]
LogLevel = Literal["debug", "info", "warning", "error"]


class Settings(BaseSettings):
    """Everything an operator can set. See README.md, section Configuration."""

    model_config = SettingsConfigDict(env_prefix="REPLYKIT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path.home() / ".local" / "share" / "replykit",
        description="Where replykit keeps its database and indexes.",
    )
    model_cache_dir: Path = Field(
        default=Path.home() / ".cache" / "replykit" / "models",
        description="Where prepared models (converted weights, ONNX files) are cached.",
    )
    model_path: Path | None = Field(
        default=None,
        description="A local sentence-transformers folder to use instead of the embedded e5-small.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; default: SQLite (WAL mode) in data_dir/replykit.db.",
    )
    embed_backend: EmbedBackend = Field(
        default="auto",
        description="auto: ONNX int8 when it passed its agreement check, else torch fp32.",
    )
    embed_threads: int = Field(default=0, ge=0, le=256, description="0 means one per CPU core.")
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: LogLevel = "info"
    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one object per line with the request id; text: for a terminal."
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1_000, le=100_000_000, description="Larger request bodies get a 413."
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="When set, /metrics needs 'Authorization: Bearer <token>'."
    )
    batch_max: int = Field(default=100, ge=1, le=10_000, description="Tickets per /v1/suggest/batch call.")
    jobs_worker: Literal["thread", "off"] = Field(
        default="thread",
        description="thread: the API runs training jobs in a background thread; off: run `replykit worker`.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("model_path")
    @classmethod
    def _model_folder_exists(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        value = value.expanduser()
        if not (value / "config.json").is_file():
            raise ValueError(
                f"{value} is not a sentence-transformers folder (no config.json there); "
                "unset REPLYKIT_MODEL_PATH to use the embedded multilingual e5-small"
            )
        if not any(value.glob("*.safetensors")):
            raise ValueError(
                f"{value} has no .safetensors weights; replykit does not load pickled weights "
                "(.bin, .pt). Convert them with safetensors first"
            )
        return value

    @field_validator("data_dir", "model_cache_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


def describe_validation_error(err: ValidationError) -> str:
    """One line per bad setting: which variable, what it holds, what is expected."""
    lines = ["Invalid replykit settings:"]
    for problem in err.errors():
        field = ".".join(str(p) for p in problem["loc"]) or "?"
        lines.append(f"  REPLYKIT_{field.upper()}={problem.get('input')!r}: {problem['msg']}.")
    lines.append("Fix the variables above (or your .env file) and start again.")
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into a ConfigError that says what to fix."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        raise ConfigError(describe_validation_error(err)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use rather than at import time."""
    return load_settings()
