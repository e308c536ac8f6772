"""`python -m taskctl`: the same as the `taskctl` command."""

from taskctl.cli.app import run

run()
