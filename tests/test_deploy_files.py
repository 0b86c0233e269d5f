"""The files under deploy/ are the ones `make scale-check` runs: they render, nginx accepts them, units run real commands."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def _scale_check() -> Any:
    spec = importlib.util.spec_from_file_location("scale_check", ROOT / "scripts" / "scale_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["scale_check"] = module
    spec.loader.exec_module(module)
    return module


sc = _scale_check()


def test_there_is_a_unit_for_each_process_the_readme_names() -> None:
    assert [u.name for u in UNITS] == ["microdir-index-follow.service", "microdir-scheduler.service",
                                       "microdir-web.service", "microdir-worker.service"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in [*UNITS, ROOT / "deploy" / "nginx" / "microdir.conf", ROOT / "deploy" / "microdir.env",
                 ROOT / "deploy" / "gunicorn.conf.py"]:
        assert str(path.relative_to(ROOT)) in readme


def test_rendering_refuses_a_placeholder_without_a_value() -> None:
    with pytest.raises(KeyError, match="WORKERS"):
        sc.render("--workers {{ WORKERS }}", {})
    assert sc.render("--workers {{ WORKERS }}", {"WORKERS": 2}) == "--workers 2"


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_accepts_the_site_file_as_the_check_renders_it(tmp_path: Path) -> None:
    site = sc.render(sc.read_deploy("nginx/microdir.conf"), sc.site_values("127.0.0.1:8080", [8001, 8002]))
    assert "{{" not in site and "server 127.0.0.1:8002 max_fails=1" in site
    conf = tmp_path / "nginx.conf"
    (tmp_path / "tmp").mkdir()
    conf.write_text(sc.nginx_main_conf(site, tmp_path))
    result = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # A broken site file is refused: the test can fail.
    conf.write_text(sc.nginx_main_conf(site.replace("proxy_pass", "proxy_passs"), tmp_path))
    assert subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True).returncode != 0


def _env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    values = {"DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite"), "REDIS_URL": "redis://127.0.0.1:6379/5",
              "SECRET_KEY": "x" * 64, "FIELD_ENCRYPTION_KEYS": '["' + "A" * 43 + '="]',
              "PUBLIC_URL": "https://directory.example.gov.uk", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 25,
              "INSTANCE_PATH": str(tmp_path / "node"), "SEARCH_INDEX_MAX_BEHIND": 100,
              "SEARCH_INDEX_MAX_LAG_SECONDS": 30}
    env_file = tmp_path / "microdir.env"
    env_file.write_text(sc.render(sc.read_deploy("microdir.env"), values))
    return env_file, sc.read_env_file(env_file.read_text())


def test_the_environment_file_configures_a_following_node(tmp_path: Path) -> None:
    from microdir import create_app

    _, env = _env(tmp_path)
    assert env["FLASK_APP"] == "microdir:create_app" and env["MICRODIR_CONFIG"] == "production"
    overrides = sc.read_env_file("\n".join(f"{k}={v}" for k, v in env.items()))
    from microdir.config import environment_overrides

    settings = environment_overrides(overrides)
    app = create_app({"CONFIG": "production", **settings})
    assert app.config["SEARCH_SYNC_ON_COMMIT"] is False and app.config["SEARCH_FAILOVER_WHEN_DEGRADED"] is True
    assert app.config["SEARCH_INDEX_DIR"] == str(tmp_path / "node" / "index")
    assert app.config["PROXY_FIX"] is True and app.config["SEARCH_INDEX_MAX_LAG_SECONDS"] == 30


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_each_unit_runs_a_real_command(unit: Path, tmp_path: Path) -> None:
    env_file, env = _env(tmp_path)
    text = sc.render(unit.read_text(encoding="utf-8"), sc.unit_values(env_file))
    assert "{{" not in text and f"EnvironmentFile={env_file}" in text
    for key in ("ExecStartPre", "ExecStart"):
        if f"\n{key}=" not in text:
            continue
        argv = sc.unit_command(text, key)
        assert Path(argv[0]).is_file(), argv[0]
        if argv[0].endswith("/flask"):
            # The subcommand and its options exist: `--help` parses them without running anything.
            result = subprocess.run([*argv, "--help"], cwd=ROOT, env={**env, "PATH": "/usr/bin:/bin"},
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
        else:
            assert argv[0].endswith("/gunicorn") and argv[-1] == "microdir:create_app()"
            result = subprocess.run([argv[0], "--check-config", *argv[1:-1], "microdir:create_app"], cwd=ROOT,
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr


def test_a_web_worker_opens_its_search_index_before_its_first_request(tmp_path: Path) -> None:
    # A new node's first searches at national size waited up to 2.9 s while the searcher opened and warmed.
    env_file, settings = _env(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8", **settings}
    port = sc.free_port()
    values = sc.unit_values(env_file, bind=f"127.0.0.1:{port}", workers=1)
    flask = str(ROOT / ".venv" / "bin" / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    follower = sc.render(sc.read_deploy("systemd/microdir-index-follow.service"), values)
    subprocess.run(sc.unit_command(follower, "ExecStartPre"), cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=300)  # the node's index, as the follower unit builds it
    web = sc.render(sc.read_deploy("systemd/microdir-web.service"), values)
    with open(tmp_path / "gunicorn.log", "wb") as log:
        server = subprocess.Popen(sc.unit_command(web), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        health = _first_answer(f"http://127.0.0.1:{port}/healthz", deadline=time.monotonic() + 60)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert health["checks"]["search_index"]["searcher_open"] is True, (tmp_path / "gunicorn.log").read_text()


def _first_answer(url: str, deadline: float) -> Any:
    """Return the JSON of the first HTTP answer from ``url``, retrying only while nothing listens yet."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:  # a 503 still says what each check found
            return json.loads(error.read())
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
