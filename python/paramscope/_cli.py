"""The ``paramscope`` command of the Python package: the Rust CLI, compiled into the extension module."""

import signal
import sys

from . import _native


def main() -> None:
    """Runs ``paramscope`` with ``sys.argv`` and exits with its code (0 ok, 1 a check failed, 2 unusable input)."""
    # Python turns Ctrl-C into an exception it only raises once the Rust code returns; the binary just stops.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_native.run_cli(sys.argv))


if __name__ == "__main__":
    main()
