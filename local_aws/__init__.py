"""An embedded AWS (moto) for one machine, deploying synthesized CDK apps and running their code."""
