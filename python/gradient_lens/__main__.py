"""``python -m gradient_lens run train.py args...``"""
import sys

from .run import USAGE, main


def _cli(argv):
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(f"usage: {USAGE}")
        return 0 if argv else 2
    if argv[0] == "--version":
        from . import __version__
        print(__version__)
        return 0
    if argv[0] != "run":
        print(f"gradient_lens: unknown command {argv[0]!r}\nusage: {USAGE}", file=sys.stderr)
        return 2
    return main(argv[1:])


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
