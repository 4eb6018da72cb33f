"""Build hook for what pyproject.toml cannot declare stably: the gateway's optional C
extension (runyard.gateway.jsoncodec_encode_wire). ``optional=True``: without a working
C compiler the install goes on and the pure-Python JSON encoder is used."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "runyard.gateway._jsonwire",
            sources=["src/runyard/gateway/_jsonwire.c"],
            depends=[
                "src/runyard/gateway/_jsonwire_out.h",
                "src/runyard/gateway/_jsonwire_print.h",
            ],
            optional=True,
        )
    ]
)
