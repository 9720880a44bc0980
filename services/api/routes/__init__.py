"""One router per resource, in matching order: the routes called most often first."""

from services.api.routes import clusters, datasets, health, models, recommendations, tracks, training_jobs

ROUTERS = (
    recommendations.router,
    health.router,
    tracks.router,
    clusters.router,
    models.router,
    datasets.router,
    training_jobs.router,
)
