"""`make new-job NAME=<family>`: a new, minimal job family from the framework's template.

- `names`: the family name checked and spelled the ways the code uses it (`demo_family`,
  `demo-family`, `DemoFamily`, `DEMO_FAMILY`);
- `generate`: writes `etl-jobs/<family>/` from `template/` (a spec, one step, its schema and rule,
  sample data, settings for every environment, tests), the family's workflow, and its docs page.

It lives at the root (not in `job_family/`, which holds what deployed apps import): it is a developer
tool that writes source files, and nothing deployed depends on it.
"""
