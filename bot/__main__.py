"""Entry point for ``python -m bot``."""

import os
import sys
import warnings

# Keep the CLI's stderr for messages meant for the user: TensorFlow (pulled in by spaCy and
# Rasa) and old dependencies otherwise print start-up noise there.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning)

from bot.cli import main  # noqa: E402 (after the environment is set)

if __name__ == "__main__":
    sys.exit(main())
