"""What a run is: the family registry, the Scenario and its values, listing patches."""
