"""The ablation study in every model report: each feature dropped and the scaling off."""

from __future__ import annotations

from shared.storage import ObjectStore
from tests.trainer.generated_dataset import publish_generated_dataset

FIGURES = ("silhouette", "stability", "genre_precision_at_5")


import pytest

FEATURES = ["tempo", "loudness", "energy", "valence"]


@pytest.mark.parametrize("seed", [14, 15, 16])
def test_dropping_the_feature_that_carries_all_the_structure_hurts_the_most(seed, store: ObjectStore, train_model) -> None:
    # two genres that differ in tempo alone; every other feature is the same bell curve for both
    dataset_id = publish_generated_dataset(store, rows=3_000, seed=seed, structure="tempo")
    _, model = train_model(dataset_id=dataset_id, k=2, features=FEATURES)
    ablation = model.model_dump()["ablation"]
    variants = ablation["variants"]
    assert set(variants) == {"full", "unscaled", *(f"without {name}" for name in FEATURES)}
    assert (ablation["k"], ablation["fit_rows"], ablation["held_out_rows"]) == (2, 1_920, 600)
    assert 0 < ablation["precision_queries"] <= 600 and ablation["unavailable"] == {}
    full = variants["full"]
    assert full["delta"] == dict.fromkeys(FIGURES, 0.0)
    assert full["stability"] > 0.95 and full["genre_precision_at_5"] > 0.95
    for name, variant in variants.items():
        for figure in FIGURES:
            assert variant["delta"][figure] == round(variant[figure] - full[figure], 6), (name, figure)
    others = [v for name, v in variants.items() if name not in ("full", "without tempo")]
    for figure in FIGURES:
        worst = min(variants.values(), key=lambda v: v["delta"][figure])
        assert worst is variants["without tempo"], figure
        assert all(variants["without tempo"]["delta"][figure] < v["delta"][figure] - 0.02 for v in others), str({n: v for n, v in variants.items()})
    assert variants["without tempo"]["genre_precision_at_5"] < 0.7
    # in original units tempo's range dwarfs the 0-1 features': it dominates the unscaled variant
    assert list(variants["unscaled"]["dominated_by"]) == ["tempo"]


def test_a_one_feature_model_has_no_feature_to_drop(store: ObjectStore, train_model) -> None:
    _, model = train_model(dataset_id=publish_generated_dataset(store, rows=600, seed=15), k=3, features=["tempo"])
    ablation = model.model_dump()["ablation"]
    assert set(ablation["variants"]) == {"full", "unscaled"}
    assert ablation["unavailable"] == {"without": "the model has one feature: there is none to drop"}
