"""What each importable layer holds: its table, key, geometry kind and typed fields."""

from __future__ import annotations

from dataclasses import dataclass

from .. import vocab


@dataclass(frozen=True)
class Field:
    """One property of a layer; kind is str|int|bool|list|json|hours, choices restrict str values."""

    name: str
    kind: str = "str"
    required: bool = False
    choices: tuple[str, ...] | None = None
    max_len: int | None = None
    lo: float | None = None
    hi: float | None = None
    sensitive: bool = False
    # Reference fields name another layer's key; they are resolved to ids in SQL, not stored as text.
    ref: bool = False
    # Stored when the file leaves the field empty (lists and objects default to empty ones).
    default: object = None


@dataclass(frozen=True)
class Layer:
    """An importable and exportable dataset."""

    name: str
    table: str
    key: str
    geometry: str | None  # "point", "polygon" or None
    fields: tuple[Field, ...]
    public: bool = True

    @property
    def stored(self) -> tuple[Field, ...]:
        """Fields stored as columns of the table under the same name."""
        return tuple(f for f in self.fields if not f.ref)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _choices(values: dict) -> tuple[str, ...]:
    return tuple(values)


_CODE = Field("code", required=True, max_len=40)
_NAME = Field("name", required=True, max_len=200)
_REGION = Field("adcode", max_len=12, ref=True)

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "regions",
            "regions",
            "adcode",
            "polygon",
            (
                Field("adcode", required=True, max_len=12),
                Field("name", required=True, max_len=100),
                Field("level", required=True, choices=_choices(vocab.REGION_LEVELS)),
                Field("parent_adcode", max_len=12, ref=True),
            ),
        ),
        Layer(
            "organizations",
            "organizations",
            "code",
            "point",
            (
                _CODE,
                _NAME,
                Field("kind", required=True, choices=_choices(vocab.ORG_KINDS)),
                Field("parent_code", max_len=40, ref=True),
                _REGION,
                Field("member_total", "int", lo=0, hi=10_000_000, default=0),
                Field("member_counts", "json"),
                Field("contact_person", max_len=50, sensitive=True),
                Field("contact_phone", max_len=30, sensitive=True),
                Field("active", "bool", default=True),
            ),
            public=False,
        ),
        Layer(
            "zones",
            "zones",
            "code",
            "polygon",
            (
                Field("code", required=True, max_len=32),
                _NAME,
                Field("level", choices=_choices(vocab.ZONE_LEVELS), default="grid"),
                Field("adcode", required=True, max_len=12, ref=True),
                Field("org_code", max_len=40, ref=True),
                Field("grid_worker", max_len=50, sensitive=True),
                Field("grid_worker_phone", max_len=30, sensitive=True),
            ),
            public=False,
        ),
        Layer(
            "sites",
            "heritage_sites",
            "code",
            "point",
            (
                _CODE,
                _NAME,
                Field("category", required=True, choices=_choices(vocab.SITE_CATEGORIES)),
                Field("level", choices=_choices(vocab.SITE_LEVELS)),
                Field("official_ids", "list"),
                _REGION,
                Field("address", max_len=500),
                Field("intro", max_len=5000),
                Field("story", max_len=20000),
                Field("opening_hours", "hours"),
                Field("ticket", max_len=500),
                Field("transport", max_len=2000),
                Field("visit_guide", max_len=5000),
                Field("photos", "list"),
                Field("tags", "list"),
                Field("dwell_min", "int", lo=0, hi=1440),
            ),
        ),
        Layer(
            "centres",
            "service_centres",
            "code",
            "point",
            (
                _CODE,
                _NAME,
                Field("level", required=True, choices=_choices(vocab.CENTRE_LEVELS)),
                _REGION,
                Field("reach_m", "int", lo=1, hi=50_000),
                Field("address", max_len=500),
                Field("phone", max_len=30),
            ),
        ),
        Layer(
            "pois",
            "pois",
            "code",
            "point",
            (
                _CODE,
                _NAME,
                Field("category", required=True, choices=_choices(vocab.POI_CATEGORIES)),
                Field("address", max_len=500),
                Field("phone", max_len=30),
                _REGION,
            ),
        ),
        Layer(
            "routes",
            "routes",
            "code",
            None,
            (
                _CODE,
                _NAME,
                Field("theme", max_len=100),
                Field("description", max_len=5000),
                Field("suggested_duration_min", "int", lo=0, hi=7 * 1440),
                Field("season", max_len=50),
                Field("stops", "list", required=True, ref=True),
            ),
        ),
    )
}

# Order in which a full data set must be imported so that references resolve.
IMPORT_ORDER = ("regions", "organizations", "zones", "sites", "centres", "pois", "routes")


def get_layer(name: str) -> Layer:
    """Return the layer called name; KeyError if there is none."""
    return LAYERS[name]
