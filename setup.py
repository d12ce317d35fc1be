"""Build the ``rtstock`` distribution: ``ingest_core`` (+ compiled hot path) and ``hardware``.

Every ``ingest_core/decode/_speedups/*.pyx`` becomes an extension module. When Cython
or a C compiler is missing the build warns and installs without them: the
pure-Python twins in ``ingest_core/decode/fallback`` then serve the same API.
"""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """``build_ext`` that degrades to pure Python instead of failing the install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure means "no compiler": fall back
            self._warn(exc)

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001 - same reason as run()
            self._warn(exc)

    @staticmethod
    def _warn(exc: BaseException) -> None:
        sys.stderr.write(
            f"WARNING: could not build the Cython hot path ({exc}); "
            "installing the pure-Python twin instead.\n"
        )


def _extensions() -> list:
    sources = sorted(glob.glob(os.path.join("ingest_core", "decode", "_speedups", "*.pyx")))
    if not sources or os.environ.get("RTSTOCK_NO_EXTENSIONS"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        sys.stderr.write("WARNING: Cython not installed; installing the pure-Python twin.\n")
        return []
    return cythonize(
        sources,
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
        },
        quiet=True,
    )


RUNTIME = [
    "psycopg2-binary==2.9.13",
    "starlette==1.10.0",
    "uvicorn==0.54.0",
    "httptools==0.9.0",
    "uvloop==0.23.0",
    "msgspec==0.22.0",
    "prometheus-client==0.26.0",
    "biip==5.2.0",
    "rich==15.0.0",
    "httpx==0.28.1",
    "aiohttp==3.14.3",
    "pyserial==3.5",
    "aiomqtt==2.5.1",
]

setup(
    name="rtstock",
    version="0.1.0",
    description="Real-time retail stock for Odoo 18: device reads to stock in atomic batches",
    long_description=Path("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["ingest_core", "ingest_core.*", "hardware", "hardware.*"]),
    package_data={"ingest_core": ["*.sql", "data/*", "decode/_speedups/*.pyx",
                                  "reports/templates/*"]},
    ext_modules=_extensions(),
    cmdclass={"build_ext": OptionalBuildExt},
    install_requires=RUNTIME,
    extras_require={
        "test": [
            "pytest==9.0.3",
            "pytest-timeout==2.4.0",
            "hypothesis==6.170.15",
            "pyepc==0.5.0",
            "ruff==0.17.5",
            "pylint-odoo==10.0.12",
            "check-jsonschema==0.39.0",
            "openpyxl==3.1.5",
            "pypdf==7.1.0",
            # the add-on's README.rst, made from readme/*.md, must be valid RST
            "docutils==0.23",
            # EPCIS (tests/test_epcis.py): GS1's reference event-hash tool as the oracle,
            # jsonschema (via check-jsonschema) and lxml for GS1's JSON Schema and XSD.
            "epcis-event-hash-generator==1.9.3",
            "PyLD==3.3.0",
            "lxml==6.2.1",
            # generated requests against the ingest's OpenAPI document (docs/reliability.md)
            "schemathesis==4.32.5",
        ],
        "load": ["locust==2.47.0", "matplotlib==3.11.2"],
        # rtstock report (docs/decisions/reports.md); WeasyPrint needs Debian's pango.
        "report": ["pandas==2.3.3", "matplotlib==3.11.2", "jinja2==3.1.6",
                   "weasyprint==70.0", "xlsxwriter==3.3.1"],
        "rfid": ["sllurp==3.0.5"],
        # Dask: statsforecast's fugue backend runs the same models on a cluster.
        "forecast": ["statsforecast==2.1.1", "pandas==2.3.3", "pyarrow==26.0.1",
                     "dask[dataframe]==2026.8.0", "distributed==2026.8.0"],
        "wedge": ["evdev==2.0.0"],
    },
    entry_points={"console_scripts": ["rtstock=ingest_core.cli:main"]},
    zip_safe=False,
)
