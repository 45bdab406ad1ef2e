"""``python -m lookout.cli``: the ``lookout`` command."""

from lookout.cli import main

if __name__ == "__main__":
    main()
