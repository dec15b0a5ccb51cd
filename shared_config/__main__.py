"""`python -m shared_config [CONFIG]`: validate a configuration file and print every error."""

from __future__ import annotations

import sys

from shared_config.loader import DEFAULT_CONFIG_PATH, ConfigError, load_config


def main(argv: list[str]) -> int:
    path = argv[0] if argv else str(DEFAULT_CONFIG_PATH)
    try:
        settings = load_config(path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    for env in settings.environments.values():
        placeholder = " (placeholder account: synth and local runs only)" if env.is_placeholder else ""
        print(
            f"{env.name}: account {env.account}{placeholder}, {env.region} "
            f"{','.join(env.availability_zones)}, {env.vpc_cidr}, branch {env.branch}, "
            f"retain data: {env.retain_data}, approval: {env.require_approval}"
        )
    print(f"{path}: OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
