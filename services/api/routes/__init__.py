"""One router per resource."""

from services.api.routes import clusters, datasets, health, models, recommendations, tracks, training_jobs

ROUTERS = (
    recommendations.router,
    tracks.router,
    clusters.router,
    models.router,
    datasets.router,
    training_jobs.router,
    health.router,
)
