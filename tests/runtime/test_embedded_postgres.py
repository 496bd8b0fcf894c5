"""The embedded Postgres: TCP on loopback for BI tools, a socket beside the data, the same port after a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from warehouse.embedded import EmbeddedPostgres


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    cluster = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "cluster")
    yield cluster
    cluster.stop()


def test_it_listens_on_loopback_tcp_and_on_a_socket_in_its_data_folder(own_cluster: EmbeddedPostgres) -> None:
    port = own_cluster.start()
    url = own_cluster.ensure_database("bi")

    assert url == f"postgresql://postgres@127.0.0.1:{port}/bi"
    with psycopg.connect(url) as conn:
        assert conn.execute("select current_database()").fetchone() == ("bi",)
    assert (own_cluster.data_dir / f".s.PGSQL.{port}").is_socket()
    with psycopg.connect(host=str(own_cluster.data_dir), port=port, user="postgres", dbname="bi") as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_starting_twice_reuses_the_running_server(own_cluster: EmbeddedPostgres) -> None:
    pid = own_cluster.running_pid()
    own_cluster.start()
    assert own_cluster.running_pid() == pid


def test_a_restart_keeps_the_port_and_the_data(own_cluster: EmbeddedPostgres) -> None:
    port = own_cluster.port()
    with psycopg.connect(own_cluster.url("bi")) as conn:
        conn.execute("create table kept as select 42 as answer")

    assert own_cluster.stop() is True
    assert own_cluster.running_pid() is None
    assert own_cluster.start() == port
    with psycopg.connect(own_cluster.url("bi")) as conn:
        assert conn.execute("select answer from kept").fetchone() == (42,)


def test_stopping_a_stopped_server_says_it_was_not_running(tmp_path: Path) -> None:
    assert EmbeddedPostgres(tmp_path / "never-started").stop() is False
