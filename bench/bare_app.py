"""The bare app, ``make bench-api``'s in-run baseline: what a recommendation would cost if search,
model and rendering were free and FastAPI's defaults did the rest.

``python bench/bare_app.py --port P`` runs a FastAPI app the way the gateway runs (uvicorn, one
worker, uvloop, httptools): one ``async def`` route at ``POST /v1/recommendations`` that takes
the recommendation body as its pydantic model parameter (FastAPI's default validation) and
returns a constant five-track dict (FastAPI's default serialization).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.api.tuning import RecommendationRequest  # noqa: E402

ANSWER = {
    "model_version": "20260101T000000000000Z-bare",
    "cluster": {"id": 3, "label": "energetic · danceable"},
    "tracks": [
        {"track_id": f"s1-{row:07d}", "track_name": f"Song {row}", "artist_name": f"Artist {row // 8}", "genre": "pop",
         "popularity": 40 + n, "distance": 0.1 + n / 10}
        for n, row in enumerate((1234, 99812, 40001, 777777, 5))
    ],
}  # fmt: skip

app = FastAPI()


@app.post("/v1/recommendations")
async def recommend(wanted: RecommendationRequest):
    return ANSWER


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, loop="uvloop", http="httptools", access_log=False, log_config=None)


if __name__ == "__main__":
    main()
