__version__ = "0.1.0"

# Before any other import, so that a Ctrl-C during start-up is one line and exit 130 (see taskctl.interrupt).
# Only modules the interpreter has already loaded, and the builtin _signal.
import _signal
import gc as _gc
import os as _os
import sys as _sys


def _exit_interrupted(_signum: int, _frame: object) -> None:
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # a second Ctrl-C must not interrupt the way out
    try:  # noqa: SIM105 - contextlib is not imported yet, on purpose
        _os.write(2, (b"\n" if _os.isatty(2) else b"") + b"taskctl: interrupted\n")
    except OSError:
        pass
    _os._exit(130)


if _os.path.basename(_sys.argv[0] if _sys.argv else "") == "taskctl":  # the console script, not a test runner
    _signal.signal(_signal.SIGINT, _exit_interrupted)
    # Start-up builds tens of thousands of objects that live until exit (modules, classes, functions): collecting
    # while they are made only walks them again and again (5 ms of every command). cli.app.main freezes them and
    # turns the collector back on before the command runs.
    _gc.disable()
