"""Shell completion: person names that match the way people type them, and activation
scripts in which every completed name is one shell word.

click's own scripts are the base. The bash one is replaced because it reads each reply
with `read` (which eats backslashes) and inserts it unquoted, so `Chloé Martin` would
become two arguments; here Python escapes the name for bash and the script keeps it
intact. zsh (`compadd -U`) and fish quote what they insert themselves; the fish script
is adjusted so a name holding a comma survives. fish filters what it is offered by its
own rules (prefix or subsequence, ignoring case), so there a name found by an alias or
without its accents is not shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from click.shell_completion import (
    BashComplete,
    CompletionItem,
    FishComplete,
    add_completion_class,
)

_BASH_SAFE = re.compile(r"[\w@%+=:,./-]")


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Chloé' and 'CHLOE' fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def matching_names(people: Iterable[tuple[str, Iterable[str]]], incomplete: str) -> list[str]:
    """Titles of the people one of whose names (title, aliases, `name`) starts with
    `incomplete`, ignoring case and accents; sorted, each once."""
    typed = fold(incomplete)
    found = {title for title, names in people if any(fold(n).startswith(typed) for n in names if n)}
    return sorted(found, key=lambda t: (unicodedata.normalize("NFC", t).casefold(), t))


def bash_quote(value: str) -> str:
    """`value` as one bash word, backslash-escaped as bash's own completion writes file
    names (`Chloé\\ Martin`, `O\\'Brien`); letters in any script stay as they are."""
    return "".join(c if _BASH_SAFE.fullmatch(c) else "\\" + c for c in value)


class VaultBashComplete(BashComplete):
    source_template = r"""%(complete_func)s() {
    local IFS=$'\n'
    local response

    response=$(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \
        %(complete_var)s=bash_complete $1)

    for completion in $response; do
        IFS=',' read -r type value <<< "$completion"

        if [[ $type == 'dir' ]]; then
            COMPREPLY=()
            compopt -o dirnames
        elif [[ $type == 'file' ]]; then
            COMPREPLY=()
            compopt -o default
        elif [[ $type == 'plain' ]]; then
            COMPREPLY+=("$value")
        fi
    done

    return 0
}

%(complete_func)s_setup() {
    complete -o nosort -F %(complete_func)s %(prog_name)s
}

%(complete_func)s_setup;
"""

    def format_completion(self, item: CompletionItem[Any]) -> str:
        if item.type == "plain":
            return f"plain,{bash_quote(str(item.value))}"
        return super().format_completion(item)


class VaultFishComplete(FishComplete):
    # `string split -m 1`: a comma inside a name stays in the name.
    source_template = r"""function %(complete_func)s;
    set -l response (env %(complete_var)s=fish_complete COMP_WORDS=(commandline -cp) \
        COMP_CWORD=(commandline -t) %(prog_name)s);

    for completion in $response;
        set -l metadata (string split -m 1 "," $completion);

        if test $metadata[1] = "dir";
            __fish_complete_directories $metadata[2];
        else if test $metadata[1] = "file";
            __fish_complete_path $metadata[2];
        else if test $metadata[1] = "plain";
            echo $metadata[2];
        end;
    end;
end;

complete --no-files --command %(prog_name)s --arguments "(%(complete_func)s)";
"""


def register() -> None:
    """Use these classes for `vault completion` and for answering the shells."""
    add_completion_class(VaultBashComplete, "bash")
    add_completion_class(VaultFishComplete, "fish")
