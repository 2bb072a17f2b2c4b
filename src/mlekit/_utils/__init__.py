"""Small helpers with no knowledge of statistics (floor 0)."""
