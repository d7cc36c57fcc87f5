"""Rules for the image (deploy/Dockerfile) and the compose deployment beside it (Caddy in front)."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from telegram import Bot

from bot.server import ServerDeps, build_web_app
from tests.deploy import block_yaml

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
IMAGE_TAG = "ligdibot-test:latest"
BUILD_INPUTS = ("pyproject.toml", "README.md", "bot", "payments", "storage")
LEFT_OUT = (".venv", ".git", "tests", "data", "deploy/.env", "bot/__pycache__")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text("utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        pending += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            word, _, rest = pending.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
            pending = ""
    return found


def final_stage() -> list[tuple[str, str]]:
    """The instructions of the image that ships (after the last FROM)."""
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in final_stage():
        if word == "ENV":
            env.update(re.findall(r"(\w+)=(\S+)", rest))
    return env


def healthcheck_command() -> list[str]:
    rest = next(rest for word, rest in final_stage() if word == "HEALTHCHECK")
    command = json.loads(rest[rest.index("CMD") + 3 :])
    assert isinstance(command, list)
    return [str(part) for part in command]


def compose() -> dict[str, block_yaml.Node]:
    return block_yaml.read((DEPLOY / "compose.yaml").read_text("utf-8"))


def service(name: str) -> dict[str, block_yaml.Node]:
    services = compose()["services"]
    assert isinstance(services, dict)
    found = services[name]
    assert isinstance(found, dict)
    return found


def mapping(node: block_yaml.Node) -> dict[str, str]:
    assert isinstance(node, dict)
    return {key: str(value) for key, value in node.items()}


# The image


def test_the_image_runs_the_bot_as_a_user_without_privileges() -> None:
    users = [rest for word, rest in final_stage() if word == "USER"]
    assert users == ["ligdibot"]
    assert ("CMD", '["ligdibot", "run"]') in final_stage()
    assert final_stage()[0][1].startswith(("python:3.11-slim", "python:3.12-slim", "${PYTHON"))
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.1[12]-slim", DOCKERFILE.read_text(), re.M)


def test_the_image_keeps_the_database_on_its_volume_and_listens_for_the_proxy() -> None:
    env = image_env()
    assert env["DATABASE_PATH"] == "/data/ligdibot.sqlite3"
    assert env["HTTP_HOST"] == "0.0.0.0"  # noqa: S104 (inside the container, behind Caddy)
    assert env["PTB_TIMEDELTA"] == "true"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert ("VOLUME", '["/data"]') in final_stage()
    assert ("EXPOSE", env["HTTP_PORT"]) in final_stage()


def test_the_image_installs_the_package_without_the_dev_extra() -> None:
    installs = [rest for word, rest in instructions() if word == "RUN" and "pip install" in rest]
    assert installs == ["/opt/ligdibot/bin/pip install /src"]


def excluded(path: str) -> bool:
    """Whether Dockerfile.dockerignore leaves `path` out of the build context (last match wins)."""
    patterns = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    verdict = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        keep = pattern.startswith("!")
        bare = pattern.removeprefix("!").removeprefix("**/")
        if any(fnmatch.fnmatch(prefix, bare) for prefix in prefixes) or (
            pattern.removeprefix("!").startswith("**/") and bare in parts
        ):
            verdict = not keep
    return verdict


@pytest.mark.parametrize("path", BUILD_INPUTS)
def test_what_the_build_copies_reaches_the_builder(path: str) -> None:
    assert (ROOT / path).exists()
    assert not excluded(path)
    copied = " ".join(rest for word, rest in instructions() if word == "COPY")
    assert path in copied


@pytest.mark.parametrize("path", LEFT_OUT)
def test_the_rest_of_the_repository_stays_out_of_the_build(path: str) -> None:
    assert excluded(path)


class Health:
    """A /healthz served by the real server, answering what the test says."""

    def __init__(self) -> None:
        self.healthy = True

    async def __call__(self) -> Mapping[str, bool]:
        return {"database": True, "telegram": self.healthy}


@pytest.fixture
async def served() -> AsyncIterator[tuple[Health, int]]:
    health = Health()
    app = build_web_app(
        ServerDeps(
            update_queue=asyncio.Queue(),
            bot=Bot("123:abc"),
            health=health,
            bot_username=lambda: "ligdi_test_bot",
        )
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        assert server.port is not None
        yield health, server.port
    finally:
        await server.close()


async def run_healthcheck(port: int) -> int:
    """The image's HEALTHCHECK command, with this interpreter, against a port."""
    command = healthcheck_command()
    assert command[0] == "python"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command[1:],
        env={"HTTP_PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await process.wait()


async def test_the_healthcheck_passes_while_the_bot_is_healthy(
    served: tuple[Health, int],
) -> None:
    _, port = served
    assert await run_healthcheck(port) == 0


async def test_the_healthcheck_fails_when_the_bot_is_degraded(served: tuple[Health, int]) -> None:
    health, port = served
    health.healthy = False
    assert await run_healthcheck(port) != 0


async def test_the_healthcheck_fails_when_nothing_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    assert await run_healthcheck(port) != 0


def docker_engine() -> str | None:
    """Why the image cannot be built here, or None when a Docker engine answers."""
    docker = shutil.which("docker")
    if docker is None:
        return "the docker command is not installed"
    info = subprocess.run([docker, "info"], capture_output=True, timeout=30, check=False)
    return None if info.returncode == 0 else "no Docker engine answers `docker info` here"


@pytest.mark.slow
def test_the_image_builds_and_runs_as_ligdibot() -> None:
    reason = docker_engine()
    if reason is not None:
        pytest.skip(f"image build not tested: {reason}")
    build = subprocess.run(
        ["docker", "build", "-f", str(DOCKERFILE), "-t", IMAGE_TAG, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
    )
    assert build.returncode == 0, build.stderr[-3000:]
    who = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "id", IMAGE_TAG, "-un"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert who.stdout.strip() == "ligdibot"
    usage = subprocess.run(
        ["docker", "run", "--rm", IMAGE_TAG, "ligdibot", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert usage.returncode == 0
    assert "check-config" in usage.stdout


# The compose deployment


def test_compose_runs_the_bot_and_caddy() -> None:
    services = compose()["services"]
    assert isinstance(services, dict)
    assert set(services) == {"bot", "caddy"}
    build = mapping(service("bot")["build"])
    assert build == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE.resolve()
    for name in services:
        assert service(name)["restart"] == "unless-stopped"


def test_compose_keeps_the_database_on_a_named_volume() -> None:
    bot = service("bot")
    env = mapping(bot["environment"])
    assert env["DATABASE_PATH"] == image_env()["DATABASE_PATH"]
    assert bot["volumes"] == ["ligdibot-data:/data"]
    assert bot["env_file"] == ".env"
    assert set(mapping(compose()["volumes"])) == {"ligdibot-data", "caddy-data", "caddy-config"}


def test_compose_points_telegram_and_ligdicash_at_the_domain() -> None:
    env = mapping(service("bot")["environment"])
    assert env["PUBLIC_URL"].startswith("https://${DOMAIN")
    assert env["TELEGRAM_WEBHOOK_URL"] == "https://${DOMAIN}/telegram"
    assert "DOMAIN=" in (DEPLOY / "env.example").read_text("utf-8")


def test_compose_checks_health_like_the_image() -> None:
    healthcheck = service("bot")["healthcheck"]
    assert isinstance(healthcheck, dict)
    assert healthcheck["test"] == ["CMD", *healthcheck_command()]


def test_caddy_serves_https_and_forwards_to_the_bot() -> None:
    caddy = service("caddy")
    assert caddy["ports"] == ["80:80", "443:443", "443:443/udp"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in (caddy["volumes"] or [])
    upstream = mapping(caddy["environment"])["LIGDIBOT_UPSTREAM"]
    bot_port = mapping(service("bot")["environment"])["HTTP_PORT"]
    assert upstream == f"bot:{bot_port}"
    caddyfile = (DEPLOY / "Caddyfile").read_text("utf-8")
    assert "{$DOMAIN} {" in caddyfile
    assert f"reverse_proxy {{$LIGDIBOT_UPSTREAM:{upstream}}}" in caddyfile


def test_caddy_keeps_the_metrics_inside() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text("utf-8")
    assert "@internal path /metrics /metrics/*" in caddyfile
    assert "respond @internal 404" in caddyfile


@pytest.mark.parametrize(
    "source",
    ["a: {b: 1}", "a: [1, 2]", "a: &x 1", "a: |\n  text", "a:\n\t- b", "a:\n  - b: c"],
)
def test_the_compose_reader_refuses_yaml_it_does_not_handle(source: str) -> None:
    with pytest.raises(block_yaml.UnsupportedYaml):
        block_yaml.read(source)
