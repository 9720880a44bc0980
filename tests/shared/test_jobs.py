import redis
from rq import Queue

from shared.jobs import TRAIN_JOB, TrainingParameters, enqueue_training


def test_enqueue_by_dotted_name_with_explicit_options(redis_client: redis.Redis) -> None:
    job, created = enqueue_training(redis_client, TrainingParameters(dataset_id="d1", k=4, features=["tempo", "energy"], seed=1))
    assert created
    assert job.func_name == TRAIN_JOB
    assert job.kwargs == {"dataset_id": "d1", "k": 4, "features": ["tempo", "energy"], "seed": 1, "force": False}
    assert job.timeout == 1800 and job.retries_left == 3
    assert job.result_ttl > 0 and job.failure_ttl > 0
    assert job.meta["stage"] == "queued"
    assert Queue("training", connection=redis_client).job_ids == [job.id]


def test_a_second_enqueue_returns_the_active_job(redis_client: redis.Redis) -> None:
    first, _ = enqueue_training(redis_client, TrainingParameters(dataset_id="d1", k=4))
    again, created = enqueue_training(redis_client, TrainingParameters(dataset_id="d1", k=4))
    other, other_created = enqueue_training(redis_client, TrainingParameters(dataset_id="d1", k=5))
    assert (again.id, created) == (first.id, False)
    assert other_created and other.id != first.id
    assert len(Queue("training", connection=redis_client)) == 2


def test_an_ended_job_does_not_block_a_new_one(redis_client: redis.Redis) -> None:
    first, _ = enqueue_training(redis_client, TrainingParameters(dataset_id="d1"))
    first.cancel()
    second, created = enqueue_training(redis_client, TrainingParameters(dataset_id="d1"))
    assert created and second.id != first.id
