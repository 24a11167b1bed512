"""TLS between the command line and a cluster started with self-signed certificates."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import numpy as np
import pytest

from dleverage import read_scores
from dleverage.client import tls_security
from dleverage.errors import ClusterConnectionError

from ._support import cli_env, run_local_script

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def _openssl(*args: str, cwd: pathlib.Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_ca(folder: pathlib.Path, name: str) -> None:
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={name}",
        cwd=folder,
    )  # fmt: skip


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> pathlib.Path:
    """A CA, a node certificate for 127.0.0.1 signed by it, and an unrelated CA."""
    folder = tmp_path_factory.mktemp("tls")
    if subprocess.run(["openssl", "version"], capture_output=True).returncode != 0:
        pytest.skip("openssl is not installed")
    _make_ca(folder, "ca")
    _make_ca(folder, "other-ca")
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key",
        "-out", "node.csr", "-subj", "/CN=127.0.0.1",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "1", "-out", "node.pem", "-extfile", "san.cnf",
        cwd=folder,
    )  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def tls_cluster(certificates, tmp_path_factory):
    state = tmp_path_factory.mktemp("tls-cluster")
    tls = ["--tls-ca-file", str(certificates / "ca.pem")]
    tls += ["--tls-cert", str(certificates / "node.pem")]
    tls += ["--tls-key", str(certificates / "node.key")]
    address = run_local_script(
        "start", "--state-dir", str(state), "--workers", "1", *tls
    )
    try:
        yield address
    finally:
        run_local_script("stop", "--state-dir", str(state))


def _score(store: str, out: str, *options: str) -> subprocess.CompletedProcess:
    dleverage = str(pathlib.Path(sys.executable).parent / "dleverage")
    return subprocess.run(
        [dleverage, "score", store, "--out", out, "--no-progress", *options],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_score_over_tls(tls_cluster, certificates, tall_store, tmp_path):
    assert tls_cluster.startswith("tls://127.0.0.1:")
    out = str(tmp_path / "scores.zarr")
    completed = _score(
        tall_store,
        out,
        "--scheduler",
        tls_cluster,
        "--tls-ca-file",
        str(certificates / "ca.pem"),
        "--tls-cert",
        str(certificates / "node.pem"),
        "--tls-key",
        str(certificates / "node.key"),
    )
    assert completed.returncode == 0, completed.stderr
    scores = read_scores(out).compute()
    assert scores.shape == (40_000,)
    assert np.sum(scores) == pytest.approx(12.0, rel=1e-10)


def test_tls_address_without_settings(tls_cluster, tall_store, tmp_path):
    completed = _score(tall_store, str(tmp_path / "s.zarr"), "--scheduler", tls_cluster)
    assert completed.returncode == 2
    assert "uses TLS, but no TLS settings were given" in completed.stderr


def test_tls_wrong_ca_rejected(tls_cluster, certificates, tall_store, tmp_path):
    out = str(tmp_path / "scores.zarr")
    completed = _score(
        tall_store,
        out,
        "--scheduler",
        tls_cluster,
        "--connect-timeout",
        "5",
        "--tls-ca-file",
        str(certificates / "other-ca.pem"),
        "--tls-cert",
        str(certificates / "other-ca.pem"),
        "--tls-key",
        str(certificates / "other-ca.key"),
    )
    assert completed.returncode == 2
    assert (
        "Cannot connect to the Dask scheduler at 'tls://127.0.0.1:" in completed.stderr
    )
    assert not pathlib.Path(out).exists()


def test_tls_security_checks_files(tmp_path):
    with pytest.raises(ClusterConnectionError, match="--tls-cert is missing"):
        tls_security(ca_file=str(tmp_path / "ca.pem"))
    with pytest.raises(ClusterConnectionError, match="The --tls-ca-file file .* does"):
        tls_security(str(tmp_path / "ca.pem"), str(tmp_path / "cert.pem"))
    assert tls_security() is None
