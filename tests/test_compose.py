"""docker-compose.yml validates against the Compose specification and is wired right."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_validates_against_the_spec(compose: dict) -> None:
    schema = json.loads(shared_file("schemas", "compose-spec.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_every_depends_on_target_exists(compose: dict) -> None:
    services = compose["services"]
    for name, service in services.items():
        for target in service.get("depends_on", {}):
            assert target in services, f"{name} depends on unknown service {target}"


def test_every_built_service_has_its_dockerfile(compose: dict) -> None:
    for name, service in compose["services"].items():
        if "build" in service:
            dockerfile = ROOT / service["build"]["context"] / service["build"]["dockerfile"]
            assert dockerfile.exists(), f"{name}: {dockerfile} is missing"


def test_services_point_at_the_right_hosts(compose: dict) -> None:
    for name in ("ingest", "worker", "api"):
        env = compose["services"][name]["environment"]
        assert env["MUSICREC_REDIS_URL"].startswith("redis://redis:6379"), name
        assert env["MUSICREC_S3_ENDPOINT"] == "http://minio:9000", name


def test_only_the_api_is_published_on_all_interfaces(compose: dict) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            if name == "api":
                assert str(port).endswith(":8000")
            else:
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert compose["services"]["api"]["ports"]


def test_redis_keeps_an_append_only_file(compose: dict) -> None:
    assert "--appendonly" in compose["services"]["redis"]["command"]


def test_long_running_services_have_healthchecks_and_restart_policies(compose: dict) -> None:
    one_shot = {"create-bucket"}
    for name, service in compose["services"].items():
        if name in one_shot:
            assert service.get("restart") == "no", name
            continue
        assert "healthcheck" in service or name == "rq-dashboard", f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped", name


def test_the_pipeline_waits_for_what_it_needs(compose: dict) -> None:
    services = compose["services"]
    for name in ("ingest", "worker", "api"):
        needs = services[name]["depends_on"]
        assert needs["create-bucket"]["condition"] == "service_completed_successfully", name
        assert needs["redis"]["condition"] == "service_healthy", name
    assert services["create-bucket"]["depends_on"]["minio"]["condition"] == "service_healthy"


def test_images_run_as_a_non_root_user_and_the_api_image_has_no_java() -> None:
    for service in ("api", "worker", "ingest"):
        dockerfile = (ROOT / "services" / service / "Dockerfile").read_text()
        assert "\nUSER musicrec" in dockerfile, service
        assert dockerfile.count("FROM ") >= 2, f"{service}: not multi-stage"
    api = (ROOT / "services" / "api" / "Dockerfile").read_text()
    assert "openjdk" not in api and "[api]" in api and "pyspark" not in api


def test_the_spark_cluster_runs_the_spark_release_of_the_ingest_driver(compose: dict) -> None:
    """Executors of another Spark release than the driver's pyspark cannot run its jobs."""
    import re

    pinned = re.search(r'"pyspark==([\d.]+)"', (ROOT / "pyproject.toml").read_text())[1]
    services = compose["services"]
    for name in ("spark-master", "spark-worker"):
        assert services[name]["image"] == f"apache/spark:{pinned}", name
        assert services[name]["profiles"] == ["cluster"], name  # not started by a plain `docker compose up`
    assert services["spark-worker"]["command"][-1] == "spark://spark-master:7077"
    assert "--port" in services["spark-master"]["command"] and "7077" in services["spark-master"]["command"]
    assert services["ingest"]["environment"]["SPARK_MASTER"] == "${SPARK_MASTER:-local[*]}"
