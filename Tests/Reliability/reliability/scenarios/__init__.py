"""One module per scenario of issue 9; each exposes `run(suite) -> ScenarioReport`."""
