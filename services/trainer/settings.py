"""Trainer settings: the shared base plus model selection, evaluation and the quality gate."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.settings import MusicrecSettings


class TrainerSettings(MusicrecSettings):
    # Automatic k (services.trainer.selection): candidates k_min..k_max fitted on a sample with two
    # seeds, scored on a held-out sample; the best silhouette among the k whose largest cluster
    # holds at most max_cluster_share of the rows and whose seeds agree to min_stability (ARI).
    k_min: int = Field(2, ge=2)
    k_max: int = Field(12, ge=2)
    k_max_cluster_share: float = Field(0.5, gt=0.0, le=1.0, description="largest cluster's share allowed")
    k_min_stability: float = Field(0.9, ge=-1.0, le=1.0, description="ARI between two seeds required")
    selection_sample: int = Field(20_000, ge=10, description="rows the candidate models are fitted on")
    holdout_sample: int = Field(5_000, ge=10, description="held-out rows the candidates are scored on")
    n_init: int = Field(3, ge=1, description="k-means++ restarts per candidate fit")
    max_iter: int = Field(300, ge=10)
    # Evaluation of the final model, on rows no fit sees.
    evaluation_sample: int = Field(10_000, ge=10, description="rows held out of every fit for the reported figures")
    precision_queries: int = Field(2_000, ge=10, description="held-out query tracks for genre precision@5")
    # The ablation study: variants fitted on the selection sample, measured on held-out rows.
    ablation_holdout: int = Field(5_000, ge=10, description="held-out rows each variant is measured on")
    ablation_queries: int = Field(1_000, ge=10, description="held-out query tracks per variant for genre precision@5")
    # Quality gate: the pointer moves only for a model that passes it (or when forced).
    gate_silhouette_floor: float = Field(0.10, ge=-1.0, le=1.0)
    gate_max_regression: float = Field(0.05, ge=0.0, le=2.0, description="allowed silhouette drop vs the current model")
    # Code version recorded in the lineage; found with git when not set.
    git_commit: str | None = None

    @model_validator(mode="after")
    def _k_range_is_ordered(self) -> "TrainerSettings":
        if self.k_max < self.k_min:
            raise ValueError(f"MUSICREC_K_MAX ({self.k_max}) is below MUSICREC_K_MIN ({self.k_min})")
        return self
