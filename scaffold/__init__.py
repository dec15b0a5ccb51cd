"""`make new-job NAME=<family>`: a new job family app scaffolded from the reference family, nyc_taxi.

- `names`: the family name checked and spelled the ways the code uses it (`demo_family`,
  `demo-family`, `DemoFamily`, `DEMO_FAMILY`);
- `generate`: copies `etl-jobs/nyc_taxi/` and its workflow, renaming paths and contents.

It lives at the root (not in `delivery/`, which holds what deployed apps import at synth time): it is
a developer tool that reads the source tree, and nothing deployed depends on it.
"""
