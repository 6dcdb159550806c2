"""The work of the ``shrinkage`` commands, one module per command.

:mod:`shrinkage.cli` builds the parser and runs the process (exit codes, one-line errors,
signals); the modules here do what a command does once its options are parsed: read the
data, fit, write the output, print the summary. Each ``cmd_*`` takes the parsed
``argparse.Namespace`` and returns the exit status; a ``ValueError`` it raises becomes
``shrinkage: error: …`` in :func:`shrinkage.cli.main`. (``shrinkage nn`` lives with its
code, in :mod:`shrinkage.nn.command`.)

- :mod:`.data`: reading the data the commands share (``_read``), dense standardized copies.
- :mod:`.compare`, :mod:`.fit`, :mod:`.predict`, :mod:`.path`: the commands.
"""
