"""The Typer commands. Thin: parse and validate arguments, then call one run function."""
