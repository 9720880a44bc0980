"""schemathesis hooks for the OpenAPI contract test (``SCHEMATHESIS_HOOKS=tests.api.contract_hooks``).

What the document cannot say (a parameter's schema is that one parameter's), a schema-valid
recommendation request is told here, as these hooks are meant for: its seeds are ids the served
catalog has (an unknown seed is a documented 422), 1 to 5 of them, a minimum is not above its
maximum, and ``features`` (a query point needs every feature the model uses) are left to the
routes' own tests; a schema-valid upload to ``POST /v1/datasets`` is a small catalog CSV (the
document can say "a file", not "a CSV with the required columns"). Requests generated to break the schema are left as they are. The catalog's ids
come from the JSON file ``MUSICREC_CONTRACT_SEEDS`` names.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

from services.api.tuning import SEED_KINDS, TUNABLE_RANGES
from shared.schema import FEATURE_NAMES

RECOMMENDATIONS = {"/v1/recommendations", "/spotify/v1/recommendations"}
UPLOAD = ("artist_name,track_name," + ",".join(FEATURE_NAMES) + "\nA,Song," + ",".join(["0.5"] * (len(FEATURE_NAMES) - 1)) + ",120\n")
CATALOG: dict[str, list[str]] = json.loads(open(os.environ["MUSICREC_CONTRACT_SEEDS"]).read())


def known_seeds(values: dict[str, Any], as_lists: bool) -> dict[str, Any]:
    """1 to 5 seeds the catalog has in place of those generated; minimums at most their maximums."""
    values = dict(values)
    kinds = [field for field in SEED_KINDS if values.get(field)] or ["seed_tracks"]
    draw = len(json.dumps(values, default=str))
    for field in SEED_KINDS:
        values.pop(field, None)
    for at, field in enumerate(kinds):
        ids = CATALOG[SEED_KINDS[field]]
        chosen = ids[(draw + at) % len(ids)]
        values[field] = [chosen] if as_lists else chosen
    for name in TUNABLE_RANGES:
        low, high = values.get(f"min_{name}"), values.get(f"max_{name}")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
            values[f"min_{name}"], values[f"max_{name}"] = high, low
    values.pop("features", None)
    return values


@schemathesis.hook
def map_case(context, case):
    positive = case.meta is None or case.meta.generation.mode.is_positive
    if positive and case.operation.path in RECOMMENDATIONS:
        if isinstance(case.query, dict):
            case.query = known_seeds(case.query, as_lists=False)
        if isinstance(case.body, dict):
            case.body = known_seeds(case.body, as_lists=True)
    if positive and case.operation.path == "/v1/datasets" and case.operation.method.upper() == "POST":
        kept = {key: value for key, value in case.body.items() if key == "train"} if isinstance(case.body, dict) else {}
        case.body, case.media_type = kept | {"file": UPLOAD}, "multipart/form-data"
    return case
