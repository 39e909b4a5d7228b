"""The magics' argument parsers, built when first needed rather than at ``%load_ext``.

IPython's ``magic_arguments`` builds a magic's ``argparse`` parser, and writes its help into
the docstring, when the class is defined: for ``%carbon`` and ``%%carbon`` that took
``%load_ext`` 2-3 ms. Here the same decorators are kept, and the parser is built on the
magic's first call or on its ``?`` help (IPython's inspector asks an object's ``getdoc()``
before its docstring), whichever comes first.
"""

from __future__ import annotations

from IPython.core.magic_arguments import MagicArgumentParser, construct_parser, magic_arguments


class lazy_magic_arguments(magic_arguments):
    """IPython's ``magic_arguments``, the parser built by :func:`parser_of` or ``getdoc()``."""

    def __call__(self, func):
        if not getattr(func, "has_arguments", False):
            func.has_arguments = True
            func.decorators = []
        if self.name is not None:
            func.argcmd_name = self.name
        func.getdoc = lambda: (parser_of(func), func.__doc__)[1]
        return func


def parser_of(func) -> MagicArgumentParser:
    """The parser of a magic decorated with :class:`lazy_magic_arguments`, built once."""
    parser = func.__dict__.get("parser")
    if parser is None:
        parser = func.parser = construct_parser(func)  # also replaces __doc__ with the full help
    return parser
