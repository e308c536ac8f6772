"""Output formats: ``formats.py`` lists them and the module that renders each; ``output.Output`` writes tasks in
one of them. Renderers see TaskResults, never provider keys. Importing this package imports nothing else."""
