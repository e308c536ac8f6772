"""One module or folder per verb: a frozen options object and ``run(app, options) -> ExitCode``, without Typer."""
