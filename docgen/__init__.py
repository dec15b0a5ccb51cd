"""Generated documentation: diagrams and tables rendered from the synthesized apps (`make docs`).

- `stack_model`: one synthesized stack as resources grouped by unit (the construct under the stack);
- `resource_graph`: that model as a Mermaid flowchart, references and IAM grants as edges;
- `state_machine`: a synthesized Step Functions definition as a Mermaid flowchart (Next, Catch, Retry);
- `contract_table`: the SSM contract of `shared_config.contract` as a Markdown table;
- `synthesis`: the dev stages of the infrastructure and nyc_taxi apps, synthesized in-process;
- `blocks`: the generated blocks between markers in `docs/*.md`, rewritten or checked.
"""
