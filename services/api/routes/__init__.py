"""One router per resource."""

from services.api.routes import (
    audio_features, clusters, datasets, health, ingest_jobs, models, recommendations, search, spotify, tracks, training_jobs,
)  # fmt: skip

ROUTERS = (
    recommendations.router,
    tracks.router,
    audio_features.router,
    search.router,
    spotify.router,
    clusters.router,
    models.router,
    datasets.router,
    training_jobs.router,
    ingest_jobs.router,
    health.router,
)
