"""The population stability index between two datasets (one definition, in shared/)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from shared.drift import bin_edges, dataset_drift, population_stability
from shared.errors import DatasetNotFound
from shared.schema import FEATURE_NAMES
from shared.storage import ObjectStore
from tests.trainer.generated_dataset import generated_table, publish_generated_dataset


def test_psi_is_zero_for_the_same_values_and_grows_with_the_shift() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(0.0, 1.0, 50_000)
    assert population_stability(values, values) == 0.0
    assert population_stability(values, rng.permutation(values)) == 0.0  # order does not matter
    assert population_stability(values, rng.normal(0.0, 1.0, 50_000)) < 0.01  # another sample of the same
    shifts = [population_stability(values, values + shift) for shift in (0.1, 0.5, 1.0, 2.0)]
    assert shifts == sorted(shifts) and shifts[0] < 0.1 and shifts[2] > 0.5 and shifts[3] > 2.0


def test_psi_by_hand_on_deciles() -> None:
    reference = np.arange(1_000, dtype=float)  # deciles: 100 values a bin
    actual = np.concatenate([np.arange(500, dtype=float), np.arange(500, dtype=float)])  # half the bins, twice as full
    psi = population_stability(reference, actual)
    expected = 5 * (0.2 - 0.1) * np.log(0.2 / 0.1) + 5 * (1e-4 - 0.1) * np.log(1e-4 / 0.1)
    assert psi == pytest.approx(expected, abs=1e-6)


def test_a_point_mass_merges_its_bins() -> None:
    reference = np.concatenate([np.zeros(600), np.linspace(0.5, 1.0, 400)])  # like instrumentalness
    assert len(bin_edges(reference)) < 9
    assert population_stability(reference, reference) == 0.0
    fewer_zeros = np.concatenate([np.zeros(300), np.linspace(0.5, 1.0, 700)])
    assert population_stability(reference, fewer_zeros) > 0.2


def test_no_values_is_an_error() -> None:
    with pytest.raises(ValueError, match="needs values on both sides"):
        population_stability(np.array([]), np.array([1.0]))


def test_dataset_drift_is_zero_against_itself_and_large_for_a_shifted_copy(store: ObjectStore) -> None:
    table = generated_table(2_000, seed=4)
    original = publish_generated_dataset(store, table=table)
    shifted = table
    for name, change in {"tempo": 25.0, "energy": 0.2}.items():  # faster and more energetic, all else alike
        index = table.schema.get_field_index(name)
        shifted = shifted.set_column(index, name, pa.array(np.clip(table.column(name).to_numpy() + change, 0, 250)))
    copy = publish_generated_dataset(store, table=shifted)

    same = dataset_drift(store, original, original, 0.2)
    assert same["psi"] == dict.fromkeys(FEATURE_NAMES, 0.0) and same["drifted"] == []
    assert same["rows"] == {"dataset": 2_000, "against": 2_000}

    drift = dataset_drift(store, original, copy, 0.2)
    assert (drift["dataset_id"], drift["against"], drift["threshold"]) == (original, copy, 0.2)
    assert sorted(drift["drifted"]) == ["energy", "tempo"]
    assert drift["psi"]["tempo"] > 1.0 and drift["largest"]["feature"] in ("tempo", "energy")
    assert all(drift["psi"][name] == 0.0 for name in FEATURE_NAMES if name not in ("tempo", "energy"))
    only = dataset_drift(store, original, copy, 0.2, features=["tempo", "valence"])
    assert list(only["psi"]) == ["tempo", "valence"]

    with pytest.raises(DatasetNotFound, match="dataset 'no-such-dataset' does not exist"):
        dataset_drift(store, original, "no-such-dataset", 0.2)
