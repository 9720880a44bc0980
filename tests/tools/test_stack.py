"""The local stack: up/down twice in a row, ports already taken are reported, not reused."""

import socket
from pathlib import Path

import pytest

from tools import stack


def stack_home(tmp_path: Path) -> stack.LocalStack:
    home = tmp_path / "local"
    home.mkdir()
    ports = {
        "MUSICREC_REDIS_PORT": stack.free_port(),
        "MUSICREC_MINIO_PORT": stack.free_port(),
        "MUSICREC_MINIO_CONSOLE_PORT": stack.free_port(),
        "MUSICREC_API_PORT": stack.free_port(),
    }
    (home / "stack.env").write_text("".join(f"{k}={v}\n" for k, v in ports.items()))
    return stack.LocalStack(home)


def test_up_and_down_twice_in_a_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    local = stack_home(tmp_path)
    try:
        for _ in range(2):
            local.up(["redis", "minio"])
            redis_pid, minio_pid = local.running_pid("redis"), local.running_pid("minio")
            assert redis_pid and minio_pid
            local.up(["redis", "minio"])  # a second up reuses what runs
            assert (local.running_pid("redis"), local.running_pid("minio")) == (redis_pid, minio_pid)
            local.down(["redis", "minio"])
            assert local.running_pid("redis") is None and local.running_pid("minio") is None
            assert not stack.pid_alive(redis_pid) and not stack.pid_alive(minio_pid)
    finally:
        local.down(["redis", "minio"])
    out = capsys.readouterr().out
    assert "already running" in out and "stopped" in out
    config = stack.read_env_file(local.config_path)
    assert len(config["MUSICREC_S3_SECRET_KEY"]) >= 24 and len(config["MUSICREC_OPERATOR_TOKEN"]) >= 32
    assert oct(local.config_path.stat().st_mode & 0o777) == "0o600"
    # data persisted under the stack's own folder: Redis keeps an append-only file
    assert any((local.home / "redis").rglob("*.aof*"))


def test_a_port_in_use_is_reported_not_reused(tmp_path: Path) -> None:
    local = stack_home(tmp_path)
    port = int(stack.read_env_file(local.config_path)["MUSICREC_REDIS_PORT"])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(stack.StackError, match=f"port {port} is already in use"):
            local.up(["redis"])
    assert local.running_pid("redis") is None


def test_down_stops_only_what_up_started(tmp_path: Path) -> None:
    local = stack_home(tmp_path)
    other = stack.redis_process(tmp_path / "other", stack.free_port(), tmp_path / "other.log").start()
    try:
        local.down(["redis", "minio"])  # nothing recorded: nothing stopped
        assert stack.pid_alive(other.pid)
    finally:
        other.stop()


def test_a_missing_minio_binary_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSICREC_MINIO_BIN", str(tmp_path / "no-minio"))
    with pytest.raises(stack.StackError, match="run `make setup`"):
        stack.minio_process(tmp_path, 1, 2, "u", "p", tmp_path / "log")
