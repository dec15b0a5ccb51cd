"""`python -m shared_config [CONFIG]` (make check-config): validate a configuration for every app.

Prints the environments, the placeholders (synth and local runs accept them; every bootstrap and
deploy command refuses them) and what to run next; on any problem prints each one once, as
`<file>:<line>: <field>: <value> <what is wrong>; <fix>`, and exits 1.
"""

from __future__ import annotations

import sys

from shared_config.check import Report, check_config
from shared_config.loader import DEFAULT_CONFIG_PATH, ConfigError, field_name


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def render_report(report: Report) -> str:
    settings = report.settings
    lines = [
        f"{report.source}: OK",
        f"  deployment  {settings.deployment.account}  {settings.deployment.region} "
        f"(partition {settings.partition}), prefix {settings.prefix}, "
        f"repository {settings.repository.full_name}",
    ]
    for env in settings.stage_targets().values():
        same = " (the deployment account)" if env.account == settings.deployment.account else ""
        lines.append(
            f"  {env.name:<10}  {env.account}{same}  {env.region}  [{', '.join(env.availability_zones)}]  "
            f"{env.vpc_cidr}  branch {env.branch}  NAT {env.nat_gateways}  redshift {_yes(env.redshift.enabled)}  "
            f"retain data {_yes(env.retain_data)}  approval {_yes(env.require_approval)}"
        )
    if report.placeholders:
        lines.append(
            f"{len(report.placeholders)} placeholder(s): synth and local runs accept them; "
            "make bootstrap-* and make deploy-* refuse them. Replace each with your own value:"
        )
        for item in report.placeholders:
            where = f"{report.source}:{item.line}" if item.line else report.source
            lines.append(f"  {where}: {field_name(item.path)}: {item.value!r}")
    else:
        lines.append("no placeholders: ready for make bootstrap-* and make deploy-*")
    lines += [f"next: {note}" for note in report.notes]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    path = argv[0] if argv else str(DEFAULT_CONFIG_PATH)
    try:
        report = check_config(path)
    except ConfigError as error:
        print(f"stopped: {error}", file=sys.stderr)
        return 1
    print(render_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
