"""Rendering notes from jinja2 templates. The only jinja2 user.

Templates are looked up in `<vault>/.vault/templates/` first, then in the packaged
defaults. They run sandboxed (a vault is data, and a template in it is too) with strict
undefined variables, so a typo is an error naming the template and line, not a blank.
"""

from __future__ import annotations

import functools
from collections.abc import MutableMapping
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.exceptions
from jinja2.sandbox import ImmutableSandboxedEnvironment

from vault_crm.config import CONFIG_DIR
from vault_crm.errors import VaultError


def packaged_templates() -> Path:
    """The default templates: inside the installed package (a wheel), else the source
    checkout's top-level `templates/` (an editable install)."""
    packaged = resources.files("vault_crm") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    raise VaultError("vault-crm's default templates are missing; reinstall vault-crm")


class TemplateError(VaultError):
    """A template that does not load or render."""


# A template renders at most this much text: a note, not a disk filler.
MAX_OUTPUT_CHARS = 10_000_000


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, with `*` and `**` bounded so that no template can build a value larger
    than a note (`{{ "x" * 10**9 }}` is an error, not a gigabyte)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and right > 64:
            raise jinja2.exceptions.SecurityError("exponent too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > MAX_OUTPUT_CHARS:
                    raise jinja2.exceptions.SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        # A plain dict instead of jinja's ChainMap over the environment's globals, which
        # every render copies twice, slowly: these globals never change once made.
        return {**self.globals, **(d or {})}


@functools.lru_cache(maxsize=8)
def environment(vault: Path, cache_dir: Path | None = None) -> ImmutableSandboxedEnvironment:
    """One environment per vault (the daemon renders often); compiled templates are kept
    in the vault's cache folder, and a template edited on disk is reloaded."""
    search = [str(vault / CONFIG_DIR / "templates"), str(packaged_templates())]
    bytecode = None
    if cache_dir is not None:
        (cache_dir / "templates").mkdir(parents=True, exist_ok=True)
        bytecode = jinja2.FileSystemBytecodeCache(str(cache_dir / "templates"))
    return _Environment(
        loader=jinja2.FileSystemLoader(search),
        bytecode_cache=bytecode,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(vault: Path, name: str, context: dict[str, Any], cache_dir: Path | None = None) -> str:
    return Templates(vault, cache_dir).render(name, context)


class Templates:
    """The templates of one batch of notes (an import), each looked up once: jinja checks
    a template's file on disk every time it is asked for it, which costs more than
    rendering a short note. A template edited meanwhile is seen by the next batch."""

    def __init__(self, vault: Path, cache_dir: Path | None = None) -> None:
        self._vault = vault
        self._cache_dir = cache_dir
        self._loaded: dict[str, jinja2.Template] = {}

    def render(self, name: str, context: dict[str, Any]) -> str:
        vault = self._vault
        template = self._loaded.get(name)
        if template is None:
            template = self._loaded[name] = _template(vault, name, self._cache_dir)
        try:
            text = template.render(**context)
            if len(text) > MAX_OUTPUT_CHARS:
                raise TemplateError(
                    f"template '{name}' produced more than {MAX_OUTPUT_CHARS:,} characters"
                )
            return text
        except TemplateError:
            raise
        except jinja2.TemplateError as exc:
            filename, line = _where(exc, template)
            raise TemplateError(f"template error: {exc}", _shown(filename, vault), line) from None
        except Exception as exc:  # a sandbox refusal or a type error inside the template
            filename, line = _where(exc, template)
            raise TemplateError(
                f"template error: {type(exc).__name__}: {exc}", _shown(filename, vault), line
            ) from None


def _template(vault: Path, name: str, cache_dir: Path | None) -> jinja2.Template:
    env = environment(vault, cache_dir)
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template error: {exc.message}", _shown(exc.filename, vault), exc.lineno
        ) from None
    except jinja2.TemplateNotFound:
        raise TemplateError(f"template '{name}' not found") from None
    except UnicodeDecodeError:
        raise TemplateError(f"template '{name}' is not valid UTF-8") from None


def _where(exc: BaseException, template: jinja2.Template) -> tuple[str | None, int | None]:
    """The template file and line a render error came from (jinja2 maps its frames)."""
    tb = exc.__traceback__
    filename, line = template.filename, None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(".j2") or code.co_filename == template.filename:
            filename, line = code.co_filename, tb.tb_lineno
        tb = tb.tb_next
    return filename, line


def _shown(filename: str | None, vault: Path) -> str:
    if not filename:
        return "template"
    path = Path(filename)
    try:
        return path.resolve().relative_to(vault.resolve()).as_posix()
    except ValueError:
        return str(path)
