"""The deploy/ folder is usable as shipped: nginx accepts the site (``nginx -t``), the
systemd units start what exists, and the environment template names only settings SimShop
reads (issue 18, point 6)."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from simshop.config import from_environment

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "simshop.example.edu")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_nginx_accepts_the_site(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is not installed (.ci/run installs Debian's nginx)")
    cert, key = self_signed(tmp_path)
    site = (DEPLOY / "nginx-simshop.conf").read_text()
    site = site.replace("/etc/ssl/certs/simshop.example.edu.pem", str(cert))
    site = site.replace("/etc/ssl/private/simshop.example.edu.key", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    checked = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-e",
            "stderr",
            "-p",
            str(tmp_path),
            "-c",
            str(tmp_path / "nginx.conf"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_the_env_template_names_only_settings_simshop_reads():
    names = re.findall(r"^#?\s*([A-Z_]+)=", (DEPLOY / "simshop.env.example").read_text(), re.M)
    unit_only = {"WEB_WORKERS", "WEB_BIND"}  # read by simshop-web.service itself
    values = {name: "1" for name in names if name not in unit_only}
    values["DATABASE_URL"] = "postgresql+psycopg://u:p@h/db"
    read = from_environment(values)
    renamed = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}
    assert sorted(n for n in values if renamed.get(n, n) not in read) == []
    assert read["SESSION_COOKIE_SECURE"] is True
    web = (DEPLOY / "simshop-web.service").read_text()
    assert all(f"${{{name}}}" in web for name in unit_only)


def test_the_units_run_commands_that_exist(runner):
    commands = set(runner.app.cli.list_commands(None))  # type: ignore[attr-defined]
    for unit in DEPLOY.glob("*.service"):
        for command in re.findall(r"flask --app simshop ([a-z-]+)", unit.read_text()):
            assert command in commands, (unit.name, command)
