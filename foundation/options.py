"""A stage's options are a dataclass that carries its own defaults, help and checks; its command-line flags are built
from it, so a default is written once (in the dataclass) and the CLI cannot drift from what the stage assumes.

    @dataclass(frozen=True)
    class ForecastOptions(StageOptions):
        horizon: int = flag(8, "weeks to forecast")

    add_flags(parser, ForecastOptions)          # --horizon (default 8)
    ForecastOptions.from_args(parser.parse_args())   # validated
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import Any


def flag(default: Any, help: str, *, name: str | None = None, parse: Callable[[str], Any] | None = None,
         choices: tuple | None = None, cli: bool = True) -> Any:  # fmt: skip
    """A dataclass field that is also a command-line flag (`--<name>`, the field's name with dashes by default)."""
    meta = {"help": help, "name": name, "parse": parse, "choices": choices, "cli": cli}
    if isinstance(default, list | dict | set):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


class StageOptions:
    """Base of every stage's options: `validate` raises ValueError naming the flag and the rule."""

    def validate(self) -> None:
        return None

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def from_args(cls, args: argparse.Namespace, **overrides):
        """The options from parsed flags (fields without a flag keep their default unless overridden)."""
        values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
        return cls(**{**values, **overrides})


def flag_name(field: dataclasses.Field) -> str:
    return "--" + (field.metadata.get("name") or field.name.replace("_", "-"))


def add_flags(parser: argparse.ArgumentParser, options: type, skip: tuple[str, ...] = ()) -> None:
    """One flag per field of `options` that declares one; the default and help come from the field."""
    for field in dataclasses.fields(options):
        meta = field.metadata
        if not meta.get("cli", False) or field.name in skip:
            continue
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        kwargs: dict[str, Any] = {"dest": field.name, "default": default}
        if isinstance(default, bool) and meta.get("parse") is None:
            kwargs["action"] = "store_true"
        else:
            parse = meta.get("parse")
            kwargs["type"] = _explained(parse) if parse else (type(default) if default is not None else str)
            if meta.get("choices"):
                kwargs["choices"] = meta["choices"]
        shown = "" if default is None or isinstance(default, bool) else " (default %(default)s)"
        parser.add_argument(flag_name(field), help=meta["help"] + shown, **kwargs)


def _explained(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """The parser's own sentence in argparse's error (it would say only `invalid <lambda> value`)."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as failure:
            raise argparse.ArgumentTypeError(str(failure)) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert
