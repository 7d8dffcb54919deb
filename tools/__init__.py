"""Developer tooling: terraform environment, benchmarks, rehearsal. Not imported by synth."""
