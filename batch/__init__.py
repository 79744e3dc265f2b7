"""pacer-link: link court-issued CM/ECF accounts to PACER accounts in NextGen courts, in bulk."""

from pathlib import Path

__version__ = "0.1.0"

#: The repository's ``config/`` folder (default settings, court registry, page patterns).
#: The project is installed editable (``pip install -e .``), so it sits beside the package.
CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

#: The sandbox directory file that matches ``samples/attorneys.xlsx``: the default of
#: ``run --env sandbox`` and ``sandbox``, wherever the command is run from.
SAMPLE_DIRECTORY = CONFIG_DIR.parent / "samples" / "sandbox-directory.toml"
