"""The clock, Vietnam's working-day calendar, deadlines, the limitation period and reporting periods."""
