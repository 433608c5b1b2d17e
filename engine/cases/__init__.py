"""Commands that change a case (file, fire, extend), the policy, the machine, the history chain, the unit of work."""
