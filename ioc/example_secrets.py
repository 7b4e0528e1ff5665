"""Refuse example secrets at a service's start, so that a copied example file never guards production.

The repository once shipped `change-me-*` passwords in `.env.example` and SHA-256 hashes of
`password`, `foo` and `bar` as example API keys; compose accepted the passwords, so a deployment
that forgot to replace them ran with secrets anyone can read on GitHub. `.env.example` now leaves
every value empty (compose refuses an empty one), and this check refuses such values wherever they
still reach a service.

"Production settings" are the secrets in `Settings`: those an operator sets in the environment or
a secret file. The local stack's own secrets are generated randomly into its stack folder and are
never read from there, so the check cannot refuse them. Every secret setting is found by its type
(`SecretStr`, with its `*_file` sibling when there is one), so a secret added later is checked too.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings

from ioc.credentials import read_secret
from ioc.settings import Settings
from ioc.stack.errors import StackError

# Any value containing it is a placeholder someone forgot to replace ("change-me", "CHANGEME", …).
EXAMPLE_PATTERN = re.compile(r"change[-_ ]?me", re.IGNORECASE)
# The secrets the repository's example files shipped other than in the pattern: the example API
# keys' former hashes were those of these strings. tests/unit/test_example_secrets.py keeps every
# value of the example files refused.
EXAMPLE_VALUES = frozenset({"password", "foo", "bar"})
CHECK_NAME = "the example-secret check (ioc/example_secrets.py)"
HINT = (
    "set each to a long random value, for example "
    '`python3 -c "import secrets; print(secrets.token_urlsafe(24))"`, in .env (compose) or in '
    "the secret file; .env.example shows every name"
)


def is_example(secret: str) -> bool:
    """Whether a secret is one the repository's example files ship (or their `change-me` form)."""
    return secret.strip().lower() in EXAMPLE_VALUES or EXAMPLE_PATTERN.search(secret) is not None


def secret_settings(settings: Settings) -> list[tuple[str, SecretStr]]:
    """Every secret the settings hold, named as the operator set it (the environment variable, or
    the variable naming its file); empty ones are left out."""
    found: list[tuple[str, SecretStr]] = []
    for section in settings.__dict__.values():
        if isinstance(section, BaseSettings):
            found += _section_secrets(section)
    password = urlsplit(settings.clickhouse.url).password
    if password:
        found.append(("the password in CLICKHOUSE_URL", SecretStr(password)))
    return [(name, secret) for name, secret in found if secret.get_secret_value()]


def _section_secrets(section: BaseModel) -> list[tuple[str, SecretStr]]:
    prefix = str(section.model_config.get("env_prefix", "")).upper()
    found = []
    for name, value in section.__dict__.items():
        if not isinstance(value, SecretStr):
            continue
        variable = f"{prefix}{name.upper()}"
        file = getattr(section, f"{name}_file", None)
        if isinstance(file, Path):  # the file wins over the value, as read_secret does at connect
            found.append((f"{variable}_FILE ({file})", read_secret(value, file, f"{variable}_FILE")))
        else:
            found.append((variable, value))
    return found


def refuse_example_secrets(settings: Settings) -> None:
    """Stop the service when a secret setting holds an example value, naming the setting and the
    check that refused it; the value itself is never shown."""
    examples = [name for name, secret in secret_settings(settings) if is_example(secret.get_secret_value())]
    if examples:
        named = examples[0] if len(examples) == 1 else f"{', '.join(examples[:-1])} and {examples[-1]}"
        raise StackError(
            f"{named} {'holds' if len(examples) == 1 else 'hold'} an example value, "
            f"not a secret: refused by {CHECK_NAME}",
            HINT,
        )
