"""What the API shows of a model's report: clusters with their labels, genres and examples,
one version's whole report, and the drift between two datasets."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from shared.bundle import load_bundle
from shared.schema import FEATURE_NAMES
from shared.storage import ObjectStore
from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.trainer.conftest import run_burst, train_model  # noqa: F401  (a real training job)
from tests.trainer.generated_dataset import generated_table, publish_generated_dataset
from tools.synthetic_model import publish_model


@pytest.fixture
def trained(store: ObjectStore, pointer, train_model) -> tuple[str, str]:  # noqa: F811
    """A model trained (and served) on a generated six-genre dataset: (version, dataset id)."""
    dataset_id = publish_generated_dataset(store, rows=1_500, seed=31)
    result, _ = train_model(dataset_id=dataset_id)
    assert result["activated"] and pointer.current() == result["version"]
    return result["version"], dataset_id


@pytest.fixture
def api(settings: ApiSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_clusters_show_each_segment_with_its_words_genres_and_examples(
    trained: tuple[str, str], store: ObjectStore, api: TestClient
) -> None:
    version, _ = trained
    body = api.get("/v1/clusters").json()
    stored = sorted(load_bundle(store, version).model.clusters, key=lambda c: c.id)
    assert body["model_version"] == version and len(body["clusters"]) == len(stored)
    labels = [c["label"] for c in body["clusters"]]
    assert len(set(labels)) == len(labels)
    for shown, cluster in zip(body["clusters"], stored):
        report = cluster.model_dump()
        for name in ("id", "label", "size", "share", "centroid", "standardized", "words", "top_genres", "examples"):
            assert shown[name] == report[name], name
        assert shown["unavailable"] == {}
        assert shown["top_genres"][0]["share"] > 0.9 and len(shown["examples"]) == 5
        assert " · ".join(w["word"] for w in shown["words"]) == shown["label"]


def test_a_version_s_report_has_its_ablation_drift_and_k_selection(
    trained: tuple[str, str], store: ObjectStore, api: TestClient
) -> None:
    version, dataset_id = trained
    report = api.get(f"/v1/models/{version}")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["version"] == version and body["unavailable"] == {}
    assert set(body["ablation"]["variants"]) == {"full", "unscaled", *(f"without {f}" for f in FEATURE_NAMES)}
    assert body["drift"]["dataset_id"] == dataset_id and body["drift"]["psi"] == dict.fromkeys(FEATURE_NAMES, 0.0)
    selection = body["metrics"]["k_selection"]
    assert selection["rule"] == "automatic" and str(body["k"]) in selection["candidates"]
    assert body["metrics"]["evaluation"]["held_out_rows"] == 300
    assert body["params"]["k_rule"] == {"max_cluster_share": 0.5, "min_stability": 0.9}
    assert [c["label"] for c in body["clusters"]] == [c["label"] for c in api.get("/v1/clusters").json()["clusters"]]

    missing = api.get("/v1/models/20200101T000000000000Z-000000")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
    assert "'20200101T000000000000Z-000000' is not published" in missing.json()["error"]["message"]
    malformed = api.get("/v1/models/not%20an%20id")
    assert malformed.status_code == 422 and malformed.json()["error"]["code"] == "invalid_input"


def test_an_older_report_says_what_it_lacks_instead_of_showing_zeros(store: ObjectStore, pointer, api: TestClient) -> None:
    older = publish_model(store, 400, k=3)  # a bundle with clusters of id, label, size and centroid only
    body = api.get(f"/v1/models/{older}").json()
    assert body["ablation"] is None and body["drift"] is None
    assert set(body["unavailable"]) == {"ablation", "drift"}
    [cluster, *_] = body["clusters"]
    assert cluster["top_genres"] is None and cluster["examples"] is None
    assert set(cluster["unavailable"]) == {"share", "standardized", "words", "top_genres", "examples"}


def test_drift_between_two_datasets(store: ObjectStore, api: TestClient) -> None:
    table = generated_table(1_200, seed=32)
    first = publish_generated_dataset(store, table=table)
    index = table.schema.get_field_index("loudness")
    louder = table.set_column(index, "loudness", pa.array(np.clip(table.column("loudness").to_numpy() + 6.0, -60, 5)))
    second = publish_generated_dataset(store, table=louder)

    body = api.get(f"/v1/datasets/{first}/drift").json()  # against the newest by default
    assert (body["dataset_id"], body["against"], body["threshold"]) == (first, second, 0.2)
    assert body["drifted"] == ["loudness"] and body["largest"]["feature"] == "loudness"
    assert body["rows"] == {"dataset": 1_200, "against": 1_200}
    itself = api.get(f"/v1/datasets/{first}/drift", params={"against": first}).json()
    assert itself["psi"] == dict.fromkeys(FEATURE_NAMES, 0.0) and itself["drifted"] == []

    for path, params, named in (
        ("/v1/datasets/no-such-dataset/drift", {}, "no-such-dataset"),
        (f"/v1/datasets/{first}/drift", {"against": "nor-this-one"}, "nor-this-one"),
    ):
        missing = api.get(path, params=params)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "dataset_not_found"
        assert f"dataset {named!r} does not exist" in missing.json()["error"]["message"]
    assert api.get(f"/v1/datasets/{first}/drift", params={"against": "../x"}).status_code == 422
    assert api.get("/v1/datasets/-not-an-id/drift").status_code == 422
