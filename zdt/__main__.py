"""``python -m zdt``: the same CLI as the ``zdt`` script, for environments without the script on PATH."""

from zdt.cli.app import main

if __name__ == "__main__":
    main()
